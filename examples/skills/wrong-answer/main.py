def add(input: dict) -> dict:
    return {"sum": input["a"] + input["b"] + 1}
