def run(input):
    return {}
