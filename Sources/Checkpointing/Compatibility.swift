// Checks that a teacher and a student can be distilled together: same tokenizer, compatible
// vocabularies (padding may differ).

import Foundation
import Tokenizers

/// Teacher/student compatibility.
public enum Compatibility {
  /// Throws `CheckpointError` naming both files when the tokenizers differ or a model's
  /// vocabulary does not cover the tokenizer.
  public static func requireDistillable(teacher: LoadedCheckpoint, teacherPath: String,
    student: LoadedCheckpoint, studentPath: String) throws
  {
    guard let teacherTokenizer = teacher.tokenizerJSON, let studentTokenizer = student.tokenizerJSON else {
      throw CheckpointError(path: teacher.tokenizerJSON == nil ? teacherPath : studentPath, item: "tokenizer", "missing: both checkpoints need their tokenizer to check they match")
    }
    let teacherFingerprint = try BPETokenizer.load(json: Data(teacherTokenizer.utf8), path: teacherPath).fingerprint
    let studentFingerprint = try BPETokenizer.load(json: Data(studentTokenizer.utf8), path: studentPath).fingerprint
    guard teacherFingerprint == studentFingerprint else {
      throw CheckpointError(path: studentPath, item: "tokenizer",
        "differs from the teacher's in \(teacherPath) (fingerprints \(studentFingerprint) vs \(teacherFingerprint)); distillation compares distributions token by token, so both must use one tokenizer")
    }
    guard teacher.model.config.vocabSize == student.model.config.vocabSize else {
      throw CheckpointError(path: studentPath, item: "config/model.vocab_size",
        "is \(student.model.config.vocabSize) but the teacher's (\(teacherPath)) is \(teacher.model.config.vocabSize)")
    }
  }
}
