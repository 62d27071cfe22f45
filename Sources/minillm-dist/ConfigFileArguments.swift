// `--config FILE` for `train`: a JSON object of options, expanded into command-line
// arguments placed before the ones typed, so the command line overrides the file.

import ArgumentParser
import Foundation

/// Expands a JSON option file into arguments. Keys are option names with `_` or `-`
/// (`"kd_ratio": 0.5` is `--kd-ratio 0.5`); `true` sets a flag, `false` and `null` leave it out.
enum ConfigFileArguments {
  /// Subcommands whose `--config` is an option file.
  static let commands: [String: ParsableCommand.Type] = ["train": TrainCommand.self]

  /// `arguments` (without the program name) with the option file, if any, expanded.
  /// - Throws: `ValidationError` naming the file and the key that is wrong.
  static func expand(_ arguments: [String]) throws -> [String] {
    guard let command = arguments.first, let type = commands[command] else { return arguments }
    var rest = Array(arguments.dropFirst())
    guard let path = takeConfigPath(&rest) else { return arguments }
    let fileArguments = try Self.arguments(fromFile: path)
    // Check the file on its own so a bad key is reported against the file.
    var probe = fileArguments
    for required in ["--data", "--tokenizer", "--run-dir", "--teacher"] where !probe.contains(required) {
      probe += [required, "placeholder"]
    }
    do {
      _ = try type.parse(probe)
    } catch {
      throw ValidationError("\(path): \(type.message(for: error))")
    }
    return [command] + fileArguments + rest
  }

  /// Removes `--config PATH` / `--config=PATH` from `arguments` and returns PATH.
  static func takeConfigPath(_ arguments: inout [String]) -> String? {
    for (i, argument) in arguments.enumerated() {
      if argument == "--config", i + 1 < arguments.count {
        let path = arguments[i + 1]
        arguments.removeSubrange(i...(i + 1))
        return path
      }
      if argument.hasPrefix("--config=") {
        arguments.remove(at: i)
        return String(argument.dropFirst("--config=".count))
      }
    }
    return nil
  }

  /// The file's options as arguments, keys in sorted order.
  static func arguments(fromFile path: String) throws -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read config file \(path)") }
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: data)
    } catch {
      throw ValidationError("\(path) is not valid JSON (\(error.localizedDescription))")
    }
    guard let options = object as? [String: Any] else { throw ValidationError("\(path): expected a JSON object of options") }
    var out: [String] = []
    for key in options.keys.sorted() where !key.hasPrefix("#") && key != "comment" {
      let name = "--" + key.replacingOccurrences(of: "_", with: "-")
      if name == "--config" { throw ValidationError("\(path): a config file cannot name another (key \"\(key)\")") }
      switch options[key] {
      case let number as NSNumber where String(cString: number.objCType) == "c":  // JSON true / false
        if number.boolValue { out.append(name) }
      case let number as NSNumber: out += [name, number.description]
      case let text as String: out += [name, text]
      case is NSNull: continue
      default: throw ValidationError("\(path): key \"\(key)\" must be a string, number or boolean")
      }
    }
    return out
  }
}
