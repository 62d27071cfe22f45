// How an instruction record becomes prompt text. `alpaca` is the Alpaca-style prompt of
// docs/method.md, which the MiniLLM authors use for Dolly. `compact` drops its fixed opening
// sentence (24 tokens that say nothing about the task): for a task with its own vocabulary, such
// as the embedded synthetic one, it cuts every sequence by that much (about 40% of the synthetic
// task's tokens). The choice travels with the data: a token cache records the template it was
// built with, every checkpoint records the template of the data it was trained on, and
// evaluation and SeqKD build prompts with the model's own template.

/// A prompt format.
public enum PromptTemplate: String, CaseIterable, Codable, Sendable {
  /// "Below is an instruction …\n\n### Instruction:\n…" (the MiniLLM authors' format).
  case alpaca
  /// The same blocks without the opening sentence: "### Instruction:\n…".
  case compact

  static let header =
    "Below is an instruction that describes a task. Write a response that appropriately completes the request."

  /// Parses a template name, or throws a one-line error naming `source` (the option, field or file).
  public static func named(_ name: String, source: String) throws -> PromptTemplate {
    guard let template = PromptTemplate(rawValue: name) else {
      throw DatasetError(path: source, "unknown prompt template \"\(name)\" (expected \(allCases.map(\.rawValue).joined(separator: " or ")))")
    }
    return template
  }

  /// The prompt text; the `### Input:` block is left out when `input` is empty. It ends with
  /// "### Response:\n", so the response follows on its own line.
  public func prompt(instruction: String, input: String) -> String {
    var text = self == .alpaca ? PromptTemplate.header + "\n\n" : ""
    text += "### Instruction:\n" + instruction + "\n\n"
    if !input.isEmpty { text += "### Input:\n" + input + "\n\n" }
    return text + "### Response:\n"
  }
}
