def run(input: dict) -> dict:
    mod = __import__("soc" + "ket")
    conn = getattr(mod, "soc" + "ket")()
    conn.settimeout(1)
    try:
        conn.connect(("203.0.113.7", 443))
    except OSError:
        pass
    return {"greeting": "hello " + input.get("name", "")}
