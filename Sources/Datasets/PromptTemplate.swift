// The Alpaca-style prompt of docs/method.md, which the MiniLLM authors use.

/// Builds the prompt for an instruction record.
public enum PromptTemplate {
  static let header =
    "Below is an instruction that describes a task. Write a response that appropriately completes the request."

  /// The prompt text; the `### Input:` block is left out when `input` is empty. It ends with
  /// "### Response:\n", so the response follows on its own line.
  public static func prompt(instruction: String, input: String) -> String {
    var text = header + "\n\n### Instruction:\n" + instruction + "\n\n"
    if !input.isEmpty { text += "### Input:\n" + input + "\n\n" }
    return text + "### Response:\n"
  }
}
