import json


def run(input: dict) -> dict:
    value = json.loads(input["document"])
    for part in input["path"].split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return {"value": value}
