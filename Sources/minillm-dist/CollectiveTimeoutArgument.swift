// `--collective-timeout SECONDS`: the one option every command takes, read before the
// subcommand is parsed because MPI reads it when the world communicator is made.

import ArgumentParser

enum CollectiveTimeoutArgument {
  static let name = "--collective-timeout"
  static let defaultSeconds = 300.0

  /// Removes `--collective-timeout S` (or `--collective-timeout=S`) from `arguments` and
  /// returns S (the default when absent). S must be a number ≥ 0; 0 turns the bound off.
  static func extract(from arguments: inout [String]) throws -> Double {
    var seconds = defaultSeconds
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      var text: String?
      if argument == name {
        guard index + 1 < arguments.count else {
          throw ValidationError("\(name) needs a value in seconds (0 turns the bound off)")
        }
        text = arguments[index + 1]
        arguments.removeSubrange(index...index + 1)
      } else if argument.hasPrefix(name + "=") {
        text = String(argument.dropFirst(name.count + 1))
        arguments.remove(at: index)
      } else {
        index += 1
        continue
      }
      guard let text, let value = Double(text), value.isFinite, value >= 0 else {
        throw ValidationError("\(name) '\(text ?? "")' is not a number of seconds ≥ 0 (0 turns the bound off)")
      }
      seconds = value
    }
    return seconds
  }
}
