import re
from collections import Counter


def run(input: dict) -> dict:
    text = input["text"]
    words = re.findall(r"[\w']+", text.lower())
    top = [word for word, _ in Counter(words).most_common(1)]
    return {"words": len(words), "lines": len(text.splitlines()), "top": top}
