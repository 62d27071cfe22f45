// Power-law fits y = a·N^b by least squares on (ln N, ln y), with a Student-t interval for b.

import Foundation

/// A report input the Reports module cannot use: which input, and why.
public struct ReportError: Error, CustomStringConvertible, Equatable, Sendable {
  /// What went wrong, naming the offending point when there is one.
  public let message: String
  /// The index of the offending point in the input arrays, when one point is to blame.
  public let pointIndex: Int?

  /// An error with a free-form message and, optionally, the index of the offending point.
  public init(_ message: String, pointIndex: Int? = nil) {
    self.message = message
    self.pointIndex = pointIndex
  }

  /// The message.
  public var description: String { message }
}

/// y = a·N^b fitted by ordinary least squares on (ln N, ln y).
///
/// Both directions work: metrics that fall with model size (loss) give b < 0, metrics that
/// rise (Rouge-L) give b > 0. Every size N and value y must be finite and > 0 (the fit works
/// on their logarithms), there must be at least 2 points, and not all N may be equal;
/// `fit(sizes:values:)` throws a `ReportError` otherwise.
///
/// With exactly 2 points the line goes through both and there are no residual degrees of
/// freedom: `exponentStandardError` and `exponentInterval95` are nil (undefined), and
/// `rSquared` is 1. Optionals rather than NaN or ±infinity keep the value `Equatable` and
/// encodable as JSON.
public struct PowerLawFit: Sendable, Codable, Equatable {
  /// a in y = a·N^b (that is, exp of the intercept on the log-log line).
  public let coefficient: Double
  /// b in y = a·N^b (the slope on the log-log line).
  public let exponent: Double
  /// Standard error of b: sqrt(SSR / (n − 2) / Σ(ln N − mean)²). Nil when n = 2.
  public let exponentStandardError: Double?
  /// 95% confidence interval for b: b ± t(0.975, n − 2) · standard error. Nil when n = 2
  /// (the interval is unbounded). Zero width when the points lie exactly on a power law.
  public let exponentInterval95: ClosedRange<Double>?
  /// Coefficient of determination of the log-log line, in [0, 1]. 1 when the residuals are
  /// all zero (including the case of all-equal values, where the fit is the constant a).
  public let rSquared: Double
  /// Number of points the fit used.
  public let pointCount: Int

  /// Creates a fit from known parameters (for example to plot a published scaling law).
  public init(
    coefficient: Double, exponent: Double, exponentStandardError: Double? = nil,
    exponentInterval95: ClosedRange<Double>? = nil, rSquared: Double = 1, pointCount: Int = 0
  ) {
    self.coefficient = coefficient
    self.exponent = exponent
    self.exponentStandardError = exponentStandardError
    self.exponentInterval95 = exponentInterval95
    self.rSquared = rSquared
    self.pointCount = pointCount
  }

  /// Fits y = a·N^b to the points (sizes[i], values[i]).
  /// - Parameters:
  ///   - sizes: N for each point (for example parameter counts); finite and > 0.
  ///   - values: y for each point (for example a loss or a Rouge-L score); finite and > 0.
  /// - Throws: `ReportError` for arrays of different lengths, fewer than 2 points, a point
  ///   with N or y not finite or ≤ 0 (naming that point), or all-equal N.
  public static func fit(sizes: [Double], values: [Double]) throws -> PowerLawFit {
    guard sizes.count == values.count else {
      throw ReportError(
        "power-law fit: \(sizes.count) sizes but \(values.count) values; they must pair up")
    }
    guard sizes.count >= 2 else {
      throw ReportError("power-law fit: needs at least 2 points, got \(sizes.count)")
    }
    for (index, (size, value)) in zip(sizes, values).enumerated() {
      guard size.isFinite, size > 0, value.isFinite, value > 0 else {
        let culprit = size.isFinite && size > 0 ? "y" : "N"
        throw ReportError(
          "power-law fit: point \(index) (N = \(size), y = \(value)): \(culprit) must be finite "
            + "and > 0 (the fit works on ln N and ln y)", pointIndex: index)
      }
    }
    guard sizes.contains(where: { $0 != sizes[0] }) else {
      throw ReportError(
        "power-law fit: all \(sizes.count) sizes equal N = \(sizes[0]); the exponent is undefined")
    }

    let n = Double(sizes.count)
    let x = sizes.map { Foundation.log($0) }
    let y = values.map { Foundation.log($0) }
    let meanX = x.reduce(0, +) / n
    // All-equal values fit the constant exactly (b = 0, zero residuals); taking their mean
    // literally could leave rounding noise in the sums below.
    let constant = values.allSatisfy { $0 == values[0] }
    let meanY = constant ? y[0] : y.reduce(0, +) / n
    var sxx = 0.0
    var sxy = 0.0
    var syy = 0.0
    for (xi, yi) in zip(x, y) {
      sxx += (xi - meanX) * (xi - meanX)
      sxy += (xi - meanX) * (yi - meanY)
      syy += (yi - meanY) * (yi - meanY)
    }
    guard sxx > 0 else {
      throw ReportError(
        "power-law fit: the sizes' logarithms do not vary; the exponent is undefined")
    }
    let slope = sxy / sxx
    let intercept = meanY - slope * meanX
    var residualSquares = 0.0
    for (xi, yi) in zip(x, y) {
      let residual = yi - (intercept + slope * xi)
      residualSquares += residual * residual
    }
    let rSquared: Double
    if sizes.count == 2 || syy == 0 || residualSquares == 0 {
      rSquared = 1
    } else {
      rSquared = min(1, max(0, sxy * sxy / (sxx * syy)))
    }

    var standardError: Double? = nil
    var interval: ClosedRange<Double>? = nil
    if sizes.count > 2 {
      let degreesOfFreedom = n - 2
      let error = (residualSquares / degreesOfFreedom / sxx).squareRoot()
      let t = StudentT.quantile(0.975, degreesOfFreedom: degreesOfFreedom)
      standardError = error
      interval = (slope - t * error)...(slope + t * error)
    }
    return PowerLawFit(
      coefficient: Foundation.exp(intercept), exponent: slope,
      exponentStandardError: standardError, exponentInterval95: interval,
      rSquared: rSquared, pointCount: sizes.count)
  }

  /// The fitted value a·N^b at size `n` (NaN for n < 0, following `pow`).
  public func predict(_ n: Double) -> Double {
    coefficient * Foundation.pow(n, exponent)
  }
}

/// Student's t distribution: the CDF and its inverse, computed from the regularized incomplete
/// beta function (continued fraction). Quantiles agree with scipy to about 1e-12 relative for
/// ν ≤ 10⁴ (checked in ReportsTests) and stay within 1e-9 up to ν = 10⁸.
public enum StudentT {
  /// P(T ≤ t) for T with `degreesOfFreedom` (> 0, need not be an integer).
  public static func cdf(_ t: Double, degreesOfFreedom: Double) -> Double {
    precondition(degreesOfFreedom > 0, "Student's t needs degrees of freedom > 0")
    if t.isNaN { return .nan }
    let tail = upperTail(abs(t), degreesOfFreedom)
    return t >= 0 ? 1 - tail : tail
  }

  /// The p-quantile: the t with P(T ≤ t) = p, for p in (0, 1) (−∞ at 0, +∞ at 1).
  ///
  /// Solved by Newton's method on the tail probability, safeguarded by bisection, to about
  /// machine precision (far tighter than the 1e-8 a confidence interval needs).
  public static func quantile(_ p: Double, degreesOfFreedom: Double) -> Double {
    precondition(degreesOfFreedom > 0, "Student's t needs degrees of freedom > 0")
    precondition(p >= 0 && p <= 1, "a quantile needs p in [0, 1], got \(p)")
    if p == 0 { return -.infinity }
    if p == 1 { return .infinity }
    if p == 0.5 { return 0 }
    // Work with the smaller tail, α < 0.5, so that 1 − p is never formed for small p.
    let alpha = p < 0.5 ? p : 1 - p
    let q = upperTailQuantile(alpha, degreesOfFreedom)
    return p < 0.5 ? -q : q
  }

  /// P(T > t) for t ≥ 0: ½·I_x(ν/2, ½) with x = ν/(ν + t²).
  static func upperTail(_ t: Double, _ nu: Double) -> Double {
    if t == .infinity { return 0 }
    let point: BetaPoint
    if t * t <= nu {
      // q = t²/ν ≤ 1: x = 1/(1 + q), 1 − x = q/(1 + q).
      let q = t / nu * t
      point = BetaPoint(
        x: 1 / (1 + q), oneMinusX: q / (1 + q), logX: -Foundation.log1p(q),
        logOneMinusX: 2 * Foundation.log(t) - Foundation.log(nu) - Foundation.log1p(q))
    } else {
      // r² = ν/t² < 1: x = r²/(1 + r²), 1 − x = 1/(1 + r²); ln r² stays finite when r²
      // underflows.
      let r = nu.squareRoot() / t
      let r2 = r * r
      let logR2 = r.isNormal ? 2 * Foundation.log(r) : Foundation.log(nu) - 2 * Foundation.log(t)
      point = BetaPoint(
        x: r2 / (1 + r2), oneMinusX: 1 / (1 + r2), logX: logR2 - Foundation.log1p(r2),
        logOneMinusX: -Foundation.log1p(r2))
    }
    return 0.5 * regularizedIncompleteBeta(a: nu / 2, b: 0.5, at: point)
  }

  /// The density of t with ν degrees of freedom.
  static func density(_ t: Double, _ nu: Double) -> Double {
    let logNormalizer = logGammaShift(nu / 2, by: 0.5) - 0.5 * Foundation.log(nu * Double.pi)
    return Foundation.exp(logNormalizer - (nu + 1) / 2 * Foundation.log1p(t * t / nu))
  }

  /// The t ≥ 0 with P(T > t) = α, for α in (0, 0.5).
  static func upperTailQuantile(_ alpha: Double, _ nu: Double) -> Double {
    // Bracket: tail(low) ≥ α ≥ tail(high); the tail decreases in t.
    var low = 0.0
    var high = 1.0
    while upperTail(high, nu) > alpha {
      low = high
      high *= 2
      if !high.isFinite { return .infinity }
    }
    var t = (low + high) / 2
    for _ in 0..<300 {
      let excess = upperTail(t, nu) - alpha  // > 0 means t is too small
      if excess == 0 { return t }
      if excess > 0 { low = t } else { high = t }
      let slope = density(t, nu)
      var next = t + excess / slope
      if !(next > low && next < high) || !next.isFinite {
        next = (low + high) / 2
      }
      if abs(next - t) <= 4 * Double.ulpOfOne * abs(next)
        || high - low <= 4 * Double.ulpOfOne * high
      {
        return next
      }
      t = next
    }
    return t
  }

  /// Where to evaluate I_x: x and 1 − x, each with its logarithm, all computed by the caller
  /// without cancellation (x near 1) or underflow (x below the smallest Double).
  struct BetaPoint {
    let x: Double
    let oneMinusX: Double
    let logX: Double
    let logOneMinusX: Double

    /// The point 1 − x.
    var reflected: BetaPoint {
      BetaPoint(x: oneMinusX, oneMinusX: x, logX: logOneMinusX, logOneMinusX: logX)
    }
  }

  /// I_x(a, b), the regularized incomplete beta function, for x in [0, 1].
  static func regularizedIncompleteBeta(a: Double, b: Double, at point: BetaPoint) -> Double {
    if point.logX == -.infinity { return 0 }
    if point.logOneMinusX == -.infinity { return 1 }
    // The continued fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry
    // I_x(a, b) = 1 − I_{1−x}(b, a) on the other side.
    if point.x > (a + 1) / (a + b + 2) {
      return 1 - regularizedIncompleteBeta(a: b, b: a, at: point.reflected)
    }
    // ln of x^a (1 − x)^b / B(a, b), with ln Γ(a + b) − ln Γ(a) − ln Γ(b) computed without the
    // cancellation of two large ln Γ values.
    let logInverseBeta =
      a >= b
      ? logGammaShift(a, by: b) - Foundation.lgamma(b)
      : logGammaShift(b, by: a) - Foundation.lgamma(a)
    let logFront = a * point.logX + b * point.logOneMinusX + logInverseBeta
    return Foundation.exp(logFront) * betaContinuedFraction(a: a, b: b, x: point.x) / a
  }

  /// ln Γ(z + s) − ln Γ(z) for z > 0, s ≥ 0, accurate also when z is large and s small (where
  /// subtracting two `lgamma` values would lose digits): Stirling's series for z ≥ 30.
  static func logGammaShift(_ z: Double, by s: Double) -> Double {
    guard z >= 30 else { return Foundation.lgamma(z + s) - Foundation.lgamma(z) }
    // ln Γ(w) = (w − ½) ln w − w + ½ ln 2π + S(w), S(w) = 1/(12w) − 1/(360w³) + 1/(1260w⁵) − …
    func series(_ w: Double) -> Double {
      let w2 = w * w
      return (1.0 / 12 - (1.0 / 360 - (1.0 / 1260 - 1.0 / (1680 * w2)) / w2) / w2) / w
    }
    // (z + s − ½) ln(z + s) − (z − ½) ln z − s, rearranged to avoid cancellation.
    let main = (z - 0.5) * Foundation.log1p(s / z) + s * Foundation.log(z + s) - s
    return main + (series(z + s) - series(z))
  }

  /// The continued fraction for I_x(a, b) (modified Lentz's method).
  static func betaContinuedFraction(a: Double, b: Double, x: Double) -> Double {
    let tiny = 1e-300
    let epsilon = 2 * Double.ulpOfOne
    var c = 1.0
    var d = 1 - (a + b) * x / (a + 1)
    if abs(d) < tiny { d = tiny }
    d = 1 / d
    var result = d
    for m in 1...100_000 {
      let m = Double(m)
      // Even step.
      var numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
      d = 1 + numerator * d
      if abs(d) < tiny { d = tiny }
      c = 1 + numerator / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      result *= d * c
      // Odd step.
      numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
      d = 1 + numerator * d
      if abs(d) < tiny { d = tiny }
      c = 1 + numerator / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      let delta = d * c
      result *= delta
      if abs(delta - 1) < epsilon { break }
    }
    return result
  }
}
