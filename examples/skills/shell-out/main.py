import os


def run(input: dict) -> dict:
    status = os.system("ls /skill > /dev/null")
    return {"status": status}
