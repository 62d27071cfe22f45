// `minillm-dist bench tokenize`: encoding throughput of the BPE tokenizer on a text file.

import ArgumentParser
import Foundation
import Tokenizers

struct BenchTokenize: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tokenize",
    abstract: "Encode a text file line by line with a tokenizer.json; report MB/s and tokens.",
    discussion: "One thread, a fresh tokenizer (cold word cache) per timed run; ends with '<number> MB/s'.")

  @Option(help: "The tokenizer.json file.") var tokenizer: String
  @Option(help: "The UTF-8 text file to encode.") var text: String
  @Option(help: "Timed runs (the median is reported).") var repeats: Int = 3

  func run() throws {
    let lines: [String]
    do {
      lines = try String(contentsOfFile: text, encoding: .utf8).components(separatedBy: "\n")
    } catch {
      throw ValidationError("cannot read \(text) as UTF-8: \(error.localizedDescription)")
    }
    let bytes = lines.reduce(0) { $0 + $1.utf8.count + 1 }
    var times: [Double] = []
    var tokenCount = 0
    for _ in 0..<repeats {
      let encoder = try BPETokenizer.load(contentsOf: tokenizer)
      let start = DispatchTime.now().uptimeNanoseconds
      tokenCount = 0
      for line in lines { tokenCount += encoder.encode(line).count }
      times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    let median = times.sorted()[times.count / 2]
    print("\(lines.count) lines, \(bytes) bytes, \(tokenCount) tokens, median \(String(format: "%.3f", median)) s")
    print(String(format: "%.2f MB/s", Double(bytes) / median / 1e6))
  }
}
