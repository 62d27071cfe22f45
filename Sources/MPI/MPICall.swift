// One checked wrapper for every MPI call: turns error codes into thrown MPIError values.

import CMPI

enum MPICall {
  /// This process's rank in MPI_COMM_WORLD, or -1 before MPI_Init.
  static var worldRank: Int {
    var initialized: Int32 = 0
    MPI_Initialized(&initialized)
    guard initialized != 0 else { return -1 }
    var rank: Int32 = -1
    MPI_Comm_rank(cmpi_comm_world(), &rank)
    return Int(rank)
  }

  /// Throws an `MPIError` naming `operation` when `code` is not MPI_SUCCESS.
  static func check(_ code: Int32, _ operation: String) throws {
    guard code != cmpi_success() else { return }
    throw error(code: code, operation: operation)
  }

  /// Builds the error for `code`, with MPI's own error string and class name.
  static func error(code: Int32, operation: String) -> MPIError {
    var errorClass: Int32 = 0
    MPI_Error_class(code, &errorClass)
    return MPIError(
      operation: operation, worldRank: worldRank, code: code,
      errorClass: className(errorClass), message: errorString(code))
  }

  /// An error raised by the wrapper itself before calling MPI (arguments that cannot match).
  static func invalid(_ operation: String, errorClass: Int32, _ message: String) -> MPIError {
    MPIError(
      operation: operation, worldRank: worldRank, code: errorClass,
      errorClass: className(errorClass), message: message)
  }

  static func errorString(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
    var length: Int32 = 0
    guard MPI_Error_string(code, &buffer, &length) == cmpi_success() else {
      return "unknown MPI error \(code)"
    }
    return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  static func className(_ errorClass: Int32) -> String {
    let names: [(Int32, String)] = [
      (cmpi_err_root(), "MPI_ERR_ROOT"), (cmpi_err_count(), "MPI_ERR_COUNT"),
      (cmpi_err_arg(), "MPI_ERR_ARG"), (cmpi_err_truncate(), "MPI_ERR_TRUNCATE"),
      (cmpi_err_rank(), "MPI_ERR_RANK"), (cmpi_err_buffer(), "MPI_ERR_BUFFER"),
    ]
    return names.first { $0.0 == errorClass }?.1 ?? "MPI error class \(errorClass)"
  }

  /// Converts an element count to MPI's `int`, refusing counts it cannot express.
  static func count(_ n: Int, _ operation: String) throws -> Int32 {
    guard let value = Int32(exactly: n) else {
      throw invalid(
        operation, errorClass: cmpi_err_count(),
        "\(n) elements exceed MPI's int count limit; split the buffer")
    }
    return value
  }
}
