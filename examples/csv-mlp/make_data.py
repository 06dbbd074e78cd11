#!/usr/bin/env python3
"""Writes train.csv and test.csv: a small tabular classification problem for the CSV MLP example.

Three flower-like species, four measurements each (in centimetres, on different scales, so normalization matters),
drawn around per-species means with a fixed seed. Standard library only: python3 make_data.py
"""
import csv
import random

SPECIES = {
    "setosa": (5.0, 3.4, 1.5, 0.25),
    "versicolor": (5.9, 2.8, 4.3, 1.3),
    "virginica": (6.6, 3.0, 5.5, 2.0),
}
SPREAD = (0.4, 0.35, 0.45, 0.25)


def write(path: str, rows: int, rng: random.Random) -> None:
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["sepal_length", "sepal_width", "petal_length", "petal_width", "species"])
        for i in range(rows):
            name = list(SPECIES)[i % len(SPECIES)]
            values = [round(rng.gauss(m, s), 2) for m, s in zip(SPECIES[name], SPREAD)]
            out.writerow([*values, name])


def main() -> None:
    rng = random.Random(42)
    write("train.csv", 1200, rng)
    write("test.csv", 300, rng)


if __name__ == "__main__":
    main()
