// Starting this program under mpirun from a plain process: how the embedded default job runs
// on several ranks when a user types the bare command.

import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Detects an MPI launcher and re-executes the current program under one.
public enum MPILauncher {
  /// Whether this process was started by an MPI launcher (Open MPI, PMI or PMIx).
  public static var underMPI: Bool {
    let environment = ProcessInfo.processInfo.environment
    return environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMI_SIZE"] != nil || environment["PMIX_RANK"] != nil
  }

  /// Open MPI settings that detect a lost host in seconds: TCP keepalive on the launcher's
  /// control connections (5 s idle, then 3 probes 2 s apart).
  public static let keepalive = [
    "--mca", "oob_tcp_keepalive_time", "5", "--mca", "oob_tcp_keepalive_intvl", "2",
    "--mca", "oob_tcp_keepalive_probes", "3",
  ]

  /// Replaces this process with `mpirun -n ranks … PROGRAM arguments` (one OpenBLAS thread per
  /// rank, oversubscription allowed, and as root `--allow-run-as-root`); returns only if mpirun
  /// cannot be started, after saying so on stdout.
  public static func relaunch(ranks: Int, arguments: [String], announce: String) {
    var executable = [CChar](repeating: 0, count: 4096)
    let length = readlink("/proc/self/exe", &executable, executable.count - 1)
    let program = length > 0
      ? String(decoding: executable.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    var command = ["mpirun", "-n", "\(ranks)", "--oversubscribe"] + keepalive
    if getuid() == 0 { command.append("--allow-run-as-root") }
    command += ["-x", "OPENBLAS_NUM_THREADS=1", program] + arguments
    print("\(announce): \(command.joined(separator: " "))")
    fflush(nil)  // print buffers would be lost at exec
    let argv = command.map { strdup($0) } + [nil]
    execvp("mpirun", argv)
    print("minillm-dist: mpirun not found (\(String(cString: strerror(errno)))); running on one rank")
  }
}
