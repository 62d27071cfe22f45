#!/usr/bin/env python3
"""Reference values for the Reports power-law fit, computed independently with scipy.

The fit is y = a * N^b by ordinary least squares on (ln N, ln y): scipy.stats.linregress on
the logs gives b (slope), ln a (intercept), the standard error of b and r; the 95% interval
for b is b ± t * stderr with t = scipy.stats.t.ppf(0.975, n - 2).

Tests/ReportsTests/ReportsTests.swift holds these numbers as literal constants (printed here
with repr, i.e. 17 significant digits) and asserts agreement to 1e-9 relative. Rerun this
script and paste its output there if a dataset changes.

Usage: check_power_law_fit.py
"""
import math

import numpy as np
import scipy
from scipy import stats

# Same literals as in ReportsTests.swift (testFitsMatchScipy).
DATASETS = {
    # Validation loss of four GPT-2 sizes: falls with size (b < 0).
    "loss": (
        [124439808.0, 354823168.0, 774030080.0, 1557611200.0],
        [3.412, 3.207, 3.055, 2.981],
    ),
    # Rouge-L of five sizes: rises with size (b > 0).
    "rouge": (
        [1.2e8, 3.5e8, 7.7e8, 1.5e9, 6.7e9],
        [0.2213, 0.2387, 0.2431, 0.2562, 0.2675],
    ),
    # Three points: one degree of freedom, a wide interval.
    "three": (
        [1e6, 1e7, 1e8],
        [5.0, 3.7, 3.1],
    ),
    # Eight points, doubling sizes.
    "eight": (
        [1e6, 2e6, 4e6, 8e6, 1.6e7, 3.2e7, 6.4e7, 1.28e8],
        [4.91, 4.62, 4.47, 4.18, 4.02, 3.86, 3.61, 3.52],
    ),
}

# (p, degrees of freedom) pairs for Student's t quantile.
T_QUANTILES = [
    (0.975, 1), (0.975, 2), (0.975, 3), (0.975, 5), (0.975, 10), (0.975, 30),
    (0.975, 1000), (0.995, 4), (0.025, 7), (0.9, 1), (0.999999, 3), (0.95, 2.5),
]


def fit(sizes, values):
    x = np.log(np.asarray(sizes, dtype=np.float64))
    y = np.log(np.asarray(values, dtype=np.float64))
    result = stats.linregress(x, y)
    n = len(sizes)
    t = stats.t.ppf(0.975, n - 2)
    return {
        "coefficient": math.exp(result.intercept),
        "exponent": float(result.slope),
        "stderr": float(result.stderr),
        "lower": float(result.slope - t * result.stderr),
        "upper": float(result.slope + t * result.stderr),
        "rSquared": float(result.rvalue ** 2),
    }


def main():
    print(f"// scipy {scipy.__version__}, numpy {np.__version__}")
    for name, (sizes, values) in DATASETS.items():
        expected = fit(sizes, values)
        fields = ", ".join(f"{key}: {value!r}" for key, value in expected.items())
        print(f'"{name}": ({fields}),')
    for p, df in T_QUANTILES:
        print(f"(p: {p!r}, df: {float(df)!r}, t: {float(stats.t.ppf(p, df))!r}),")
    # Exact synthetic case: y = 3 N^-0.5 → b = -0.5, stderr 0, R² = 1 (checked, not printed).
    exact = fit([10.0, 100.0, 1000.0, 10000.0], [3.0 * n ** -0.5 for n in [10.0, 100.0, 1000.0, 10000.0]])
    assert abs(exact["exponent"] + 0.5) < 1e-12 and abs(exact["coefficient"] - 3.0) < 1e-12
    assert abs(exact["stderr"]) < 1e-12 and abs(exact["rSquared"] - 1.0) < 1e-12
    print("ok exact synthetic case")


if __name__ == "__main__":
    main()
