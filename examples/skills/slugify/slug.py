import os
import re
import tempfile
import unicodedata


def slugify(input: dict) -> dict:
    text = unicodedata.normalize("NFKD", input["title"]).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    # A scratch file under /tmp, which the manifest declares.
    fd, path = tempfile.mkstemp(dir="/tmp", suffix=".txt")
    with os.fdopen(fd, "w") as handle:
        handle.write(slug)
    os.unlink(path)
    return {"slug": slug}
