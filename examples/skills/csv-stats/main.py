import csv
import statistics
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(input: dict) -> dict:
    values = []
    with open(HERE / input["path"], newline="") as handle:
        for row in csv.DictReader(handle):
            values.append(float(row[input["column"]]))
    return {
        "count": len(values),
        "mean": statistics.fmean(values),
        "median": statistics.median(values),
    }
