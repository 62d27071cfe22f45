// The sweep configuration: data, teacher, student sizes, methods, each stage's training
// settings and the evaluation, as JSON with snake_case keys; every field has a default (the
// embedded quickstart) so a file only names what it changes.

import Datasets
import Foundation
import Training

/// A model shape (GPT-2 family) with a name used in run directories and tables.
public struct ModelShape: Codable, Sendable, Equatable {
  public var name: String
  public var dModel: Int
  public var nLayer: Int
  public var nHead: Int

  enum CodingKeys: String, CodingKey { case name, dModel = "d_model", nLayer = "n_layer", nHead = "n_head" }

  public init(name: String, dModel: Int, nLayer: Int, nHead: Int) {
    self.name = name
    self.dModel = dModel
    self.nLayer = nLayer
    self.nHead = nHead
  }
}

/// Optimization settings of one teacher-forced stage.
public struct StageSettings: Codable, Sendable, Equatable {
  /// Optimizer steps.
  public var steps: Int
  /// Peak learning rate (cosine to a tenth of it after `warmup` steps).
  public var lr: Float
  public var warmup: Int = 10
  /// Sequences per rank per step.
  public var batchSize: Int

  enum CodingKeys: String, CodingKey { case steps, lr, warmup, batchSize = "batch_size" }

  public init(steps: Int, lr: Float, warmup: Int = 10, batchSize: Int) {
    self.steps = steps
    self.lr = lr
    self.warmup = warmup
    self.batchSize = batchSize
  }
}

/// A sweep over student sizes × methods. `SweepConfig.quickstart` is the embedded default.
public struct SweepConfig: Codable, Sendable, Equatable {
  /// Where the data comes from: the synthetic task (no files) or instruction JSONL files.
  public struct DataSource: Codable, Sendable, Equatable {
    /// Records of the synthetic task to generate when `train` is not given.
    public var syntheticCount = 8000
    public var syntheticSeed: UInt64 = 2
    /// Instruction JSONL for training (and optionally validation); nil: the synthetic task.
    public var train: String?
    public var validation: String?
    /// Held out of `train` when `validation` is not given.
    public var validationCount = 400
    /// Held out of the training records for checkpoint selection (every student stage's result
    /// is its best checkpoint on this split); 0: each stage's final checkpoint.
    public var selectionCount = 200
    /// Pretraining text files for MiniLLM's L_PT term.
    public var pretrain: [String] = []
    /// Paragraphs of unlabelled synthetic-task domain text added to D_PT when the data is the
    /// synthetic task (`SyntheticTask.pretrainingText`, from its own seed); 0: none. L_PT is
    /// off when D_PT is empty.
    public var syntheticPretrainCount = 6000
    /// An existing tokenizer.json; nil: train a byte-level BPE of `vocabSize` ids on the data.
    public var tokenizer: String?
    public var vocabSize = 512
    public var maxPromptLength = 96
    public var maxLength = 128
    /// The prompt format: `alpaca`, `compact` or `auto` — `compact` for the synthetic task (its
    /// fixed opening sentence is 40% of the task's tokens and says nothing), `alpaca` (the
    /// authors' format) for JSONL files.
    public var promptTemplate = "auto"

    /// Tokens per D_PT block (the L_PT term draws as many blocks per optimizer step as the PPO
    /// minibatch has sequences); 0: `synthetic_pretrain_block_length` for the synthetic task,
    /// `max_length` + 1 for files.
    public var pretrainBlockLength = 0

    /// The synthetic task's D_PT block: 48 tokens + 1, about its training sequences' length
    /// (35.8 tokens on average), so L_PT costs about what the PPO term does.
    public static let syntheticPretrainBlockLength = 49

    /// The D_PT block length the data stage uses.
    public var resolvedPretrainBlockLength: Int {
      pretrainBlockLength > 0 ? pretrainBlockLength : (train == nil ? Self.syntheticPretrainBlockLength : maxLength + 1)
    }

    /// The template the stages use (`validate` has checked the name).
    public var resolvedPromptTemplate: PromptTemplate {
      PromptTemplate(rawValue: promptTemplate) ?? (train == nil ? .compact : .alpaca)
    }

    enum CodingKeys: String, CodingKey {
      case syntheticCount = "synthetic_count", syntheticSeed = "synthetic_seed", train, validation
      case validationCount = "validation_count", selectionCount = "selection_count", pretrain, syntheticPretrainCount = "synthetic_pretrain_count"
      case tokenizer, vocabSize = "vocab_size"
      case maxPromptLength = "max_prompt_length", maxLength = "max_length", promptTemplate = "prompt_template"
      case pretrainBlockLength = "pretrain_block_length"
    }
    public init() {}
  }

  /// The teacher: trained here with SFT (`shape`, `training`) or given as a checkpoint (ours,
  /// or one made by `import-hf`).
  public struct Teacher: Codable, Sendable, Equatable {
    public var checkpoint: String?
    public var shape = ModelShape(name: "teacher", dModel: 128, nLayer: 4, nHead: 4)
    public var training = StageSettings(steps: 5000, lr: 3e-3, warmup: 50, batchSize: 16)
    enum CodingKeys: String, CodingKey { case checkpoint, shape, training }
    public init() {}
  }

  /// SeqKD: the teacher's sampled responses to the training prompts, trained on with the KD
  /// mix (authors' scripts, "kd") or pure cross-entropy (textbook, "ce").
  public struct SeqKD: Codable, Sendable, Equatable {
    public var variant = "kd"
    public var maxNewTokens = 64
    enum CodingKeys: String, CodingKey { case variant, maxNewTokens = "max_new_tokens" }
    public init() {}
  }

  /// MiniLLM's stage settings (the rest of its flags keep the recipe table's defaults, or
  /// take `method_options`).
  public struct MiniLLM: Codable, Sendable, Equatable {
    public var steps = 600
    /// Peak learning rate, reached after `warmup` steps.
    public var lr: Float = 1e-3
    public var warmup = 10
    /// After the warm-up: `cosine` to a tenth of `lr` over the steps (the distillation stages'
    /// schedule, the default since protocol v4), or `constant` (the paper's recipe).
    public var schedule = "cosine"
    /// Rollouts per collection and sequences per minibatch, over all ranks.
    public var rollouts = 64
    public var minibatch = 32
    /// Passes over each collection: 1 since protocol v4 (4, the paper's, pulled the student
    /// below its initialization on this task: `docs/benchmarks.md`, "Why MiniLLM fell below
    /// its initialization").
    public var ppoEpochs = 1
    public var alpha = 0.2
    /// Ranks per teacher group (divides the number of ranks).
    public var teacherShards = 2
    public var maxNewTokens = 64
    /// Chunk of prompts sampled together per rank.
    public var batchSize = 16
    public var lambdaPT = 1.0
    enum CodingKeys: String, CodingKey {
      case steps, lr, warmup, schedule, rollouts, minibatch, ppoEpochs = "ppo_epochs", alpha, teacherShards = "teacher_shards"
      case maxNewTokens = "max_new_tokens", batchSize = "batch_size", lambdaPT = "lambda_pt"
    }
    public init() {}
  }

  /// Final evaluation of every model: the paper's sampling settings (temperature 1, top-k 0,
  /// top-p 1) on `prompts` validation prompts with `seeds`, the no-repeat n-gram ban as
  /// configured, and a greedy pass.
  public struct Evaluation: Codable, Sendable, Equatable {
    public var prompts = 200
    public var seeds: [UInt64] = [10, 20, 30, 40, 50]
    public var maxNewTokens = 64
    /// The paper's ban on repeated n-grams (6, for Rouge-L on open data); 0 (the default, for
    /// the synthetic task, judged by exact validity) turns it off: the ban can forbid a valid
    /// answer that copies the prompt (a letter set written in the given order).
    public var noRepeatNgramSize = 0
    /// Whether the ban counts the prompt's n-grams (as Hugging Face's generate does).
    public var noRepeatSeesPrompt = true
    /// Also decode greedily once: greedy scores and the calibration error.
    public var greedy = true
    /// Evaluation prompts on which each student's exposure bias (ExAccErr, the teacher as the
    /// oracle) is measured; 0: skip.
    public var exposureBiasPrompts = 100
    /// Prompts of the selection split evaluated at each checkpoint, and the one seed used.
    public var selectionPrompts = 100
    public var selectionSeed: UInt64 = 1
    enum CodingKeys: String, CodingKey {
      case prompts, seeds, maxNewTokens = "max_new_tokens", noRepeatNgramSize = "no_repeat_ngram_size"
      case noRepeatSeesPrompt = "no_repeat_sees_prompt", greedy, selectionPrompts = "selection_prompts"
      case selectionSeed = "selection_seed", exposureBiasPrompts = "exposure_bias_prompts"
    }
    public init() {}
    public init(from decoder: Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      let d = Evaluation()
      prompts = try c.decodeIfPresent(Int.self, forKey: .prompts) ?? d.prompts
      seeds = try c.decodeIfPresent([UInt64].self, forKey: .seeds) ?? d.seeds
      maxNewTokens = try c.decodeIfPresent(Int.self, forKey: .maxNewTokens) ?? d.maxNewTokens
      noRepeatNgramSize = try c.decodeIfPresent(Int.self, forKey: .noRepeatNgramSize) ?? d.noRepeatNgramSize
      noRepeatSeesPrompt = try c.decodeIfPresent(Bool.self, forKey: .noRepeatSeesPrompt) ?? d.noRepeatSeesPrompt
      greedy = try c.decodeIfPresent(Bool.self, forKey: .greedy) ?? d.greedy
      selectionPrompts = try c.decodeIfPresent(Int.self, forKey: .selectionPrompts) ?? d.selectionPrompts
      selectionSeed = try c.decodeIfPresent(UInt64.self, forKey: .selectionSeed) ?? d.selectionSeed
      exposureBiasPrompts = try c.decodeIfPresent(Int.self, forKey: .exposureBiasPrompts) ?? d.exposureBiasPrompts
    }
  }

  public var data = DataSource()
  public var teacher = Teacher()
  public var students = [
    ModelShape(name: "s", dModel: 32, nLayer: 2, nHead: 2), ModelShape(name: "m", dModel: 64, nLayer: 2, nHead: 4),
    ModelShape(name: "l", dModel: 96, nLayer: 3, nHead: 4),
  ]
  /// Methods run from each student's SFT initialization: sft, kd, seqkd, gkd, minillm, the
  /// divergences rkl, jsd, tvd, sfkl, srkl, and variants named in `methodOptions`.
  public var methods = ["sft", "kd", "kd-full", "seqkd", "seqkd-ce", "rkl-on-policy", "minillm"]
  /// Extra `train` options per entry of `methods`, laid over the stage's settings (keys are
  /// `train` option names: `{"minillm": {"gamma": 1, "paper_returns": true}}`). An entry that
  /// is not a method name is a variant and names its method: `{"minillm-paper": {"method":
  /// "minillm", "paper_returns": true}}`, so one sweep can hold an ablation.
  public var methodOptions: [String: TrainOptions] = SweepConfig.defaultMethodOptions

  /// The default's variants: KD on the teacher's distribution alone (kd_ratio 1), SeqKD with
  /// plain cross-entropy on the teacher's answers, and on-policy token-level reverse KL (GKD
  /// with λ = 1: every step on the student's own samples, the single-step term alone).
  ///
  /// MiniLLM itself runs in the paper's form (returns from r_{t+1}, no discount; the authors'
  /// code adds r_t and γ = 0.95, an ablation in configs/ablations.json).
  public static var defaultMethodOptions: [String: TrainOptions] {
    var kdFull = TrainOptions()
    (kdFull.method, kdFull.kdRatio) = (.kd, 1)
    var seqkdCE = TrainOptions()
    (seqkdCE.method, seqkdCE.seqkdVariant) = (.seqkd, "ce")
    var onPolicy = TrainOptions()
    (onPolicy.method, onPolicy.onPolicyFraction, onPolicy.maxNewTokens) = (.rkl, 1, 64)
    var paper = TrainOptions()
    (paper.paperReturns, paper.gamma) = (true, 1)
    return ["kd-full": kdFull, "seqkd-ce": seqkdCE, "rkl-on-policy": onPolicy, "minillm": paper]
  }
  /// Student SFT (the initialization of every method, and the "sft" result).
  public var sft = StageSettings(steps: 2000, lr: 3e-3, warmup: 10, batchSize: 16)
  /// Distillation from the SFT student (kd, seqkd, divergences).
  public var distill = StageSettings(steps: 600, lr: 1e-3, warmup: 10, batchSize: 16)
  public var kdRatio = 0.5
  public var seqkd = SeqKD()
  public var minillm = MiniLLM()
  public var evaluation = Evaluation()
  public var contextLength = 128
  public var seed: UInt64 = 1

  enum CodingKeys: String, CodingKey {
    case data, teacher, students, methods, methodOptions = "method_options", sft, distill, kdRatio = "kd_ratio", seqkd
    case minillm, evaluation
    case contextLength = "context_length", seed
  }

  public init() {}

  /// The embedded default: the synthetic task, a teacher of about 0.9M parameters, students of
  /// about 46k, 141k and 384k, SFT / KD / SeqKD / MiniLLM.
  public static let quickstart = SweepConfig()

  /// Options a sweep sets itself for every stage (paths, the student's shape, resuming).
  static let optionsSetBySweep: Set<String> = [
    "teacher", "init_from", "data", "tokenizer", "run_dir", "pretrain_data", "d_model", "n_layer", "n_head",
    "context_length",
  ]

  /// The method of an entry of `methods`: its own name, or the `method` its options name.
  public func method(of entry: String) throws -> TrainingMethod {
    if let named = methodOptions[entry]?.method {
      if let plain = TrainingMethod(rawValue: entry), plain != named {
        throw SweepError("invalid sweep config: method_options.\(entry).method is \(named.rawValue); an entry named after a method must be that method")
      }
      return named
    }
    guard let method = TrainingMethod(rawValue: entry) else {
      throw SweepError("invalid sweep config: methods has unknown method \(entry) (methods: \(TrainingMethod.names); a variant needs method_options.\(entry).method)")
    }
    return method
  }

  /// Throws `SweepError` naming the first invalid field.
  public func validate(worldSize: Int) throws {
    func require(_ ok: Bool, _ field: String, _ message: String) throws {
      if !ok { throw SweepError("invalid sweep config: \(field) \(message)") }
    }
    try require(!students.isEmpty, "students", "needs at least one size")
    try require(Set(students.map(\.name)).count == students.count, "students", "names must differ")
    for (i, s) in Array(students.enumerated().map { ($0.offset, $0.element) }) + [(-1, teacher.shape)] {
      let field = i < 0 ? "teacher.shape" : "students[\(i)]"
      try require(s.dModel > 0 && s.nLayer > 0 && s.nHead > 0 && s.dModel % s.nHead == 0, field, "needs d_model divisible by n_head (got \(s.dModel), \(s.nHead))")
      try require(s.name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }, field + ".name", "may hold letters, digits, - and _ only")
    }
    try require(Set(methods).count == methods.count, "methods", "names an entry twice")
    for entry in methods {
      try require(entry.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }, "methods", "entry \(entry) may hold letters, digits, - and _ only")
      let method = try self.method(of: entry)
      try require(entry == "sft" || method != .sft, "methods", "entry \(entry): sft is the initialization of every method; list it once as sft")
    }
    for (entry, options) in methodOptions {
      try require(methods.contains(entry), "method_options.\(entry)", "names no entry of methods")
      let encoded = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(options)) as? [String: Any]) ?? [:]
      for key in encoded.keys.sorted() where Self.optionsSetBySweep.contains(key) {
        try require(false, "method_options.\(entry).\(key)", "is set by the sweep itself (data, teacher, initialization, the student's shape)")
      }
    }
    try require(methods.contains("sft"), "methods", "must include sft (every method starts from the SFT student)")
    try require(["kd", "ce"].contains(seqkd.variant), "seqkd.variant", "must be kd or ce")
    try require(data.maxPromptLength < data.maxLength && data.maxLength <= contextLength, "data.max_length", "needs max_prompt_length < max_length ≤ context_length")
    try require(["constant", "cosine"].contains(minillm.schedule), "minillm.schedule", "must be constant or cosine, got \(minillm.schedule)")
    try require(minillm.rollouts % worldSize == 0 && minillm.minibatch % worldSize == 0, "minillm.rollouts", "and minibatch must be multiples of the number of ranks (\(worldSize))")
    try require(worldSize % minillm.teacherShards == 0, "minillm.teacher_shards", "(\(minillm.teacherShards)) must divide the number of ranks (\(worldSize))")
    try require(teacher.shape.nHead % minillm.teacherShards == 0 || teacher.checkpoint != nil, "minillm.teacher_shards", "must divide the teacher's heads")
    try require(!evaluation.seeds.isEmpty && evaluation.prompts >= 1, "evaluation", "needs seeds and prompts ≥ 1")
    try require(evaluation.maxNewTokens >= 1, "evaluation.max_new_tokens", "must be ≥ 1, got \(evaluation.maxNewTokens)")
    try require(evaluation.noRepeatNgramSize >= 0, "evaluation.no_repeat_ngram_size", "must be ≥ 0, got \(evaluation.noRepeatNgramSize)")
    try require(evaluation.selectionPrompts >= 1, "evaluation.selection_prompts", "must be ≥ 1, got \(evaluation.selectionPrompts)")
    try require(evaluation.exposureBiasPrompts >= 0, "evaluation.exposure_bias_prompts", "must be ≥ 0, got \(evaluation.exposureBiasPrompts)")
    try require(data.selectionCount >= 0, "data.selection_count", "must be ≥ 0, got \(data.selectionCount)")
    try require(data.syntheticPretrainCount >= 0, "data.synthetic_pretrain_count", "must be ≥ 0, got \(data.syntheticPretrainCount)")
    try require(
      data.pretrainBlockLength == 0 || (2...(data.maxLength + 1)).contains(data.pretrainBlockLength), "data.pretrain_block_length",
      "must be 0 (auto) or 2…max_length + 1 (\(data.maxLength + 1)), got \(data.pretrainBlockLength)")
    try require(
      data.promptTemplate == "auto" || PromptTemplate(rawValue: data.promptTemplate) != nil, "data.prompt_template",
      "must be auto, alpaca or compact, got \(data.promptTemplate)")
  }

  /// Keys that may appear although the default leaves them out (optional fields).
  static let optionalKeys: Set<String> = ["data.train", "data.validation", "data.tokenizer", "teacher.checkpoint"]

  /// Reads a JSON file; missing fields keep their defaults (the file is laid over the default
  /// configuration key by key; lists replace lists). An unknown key is an error naming it.
  public static func load(_ path: String) throws -> SweepConfig {
    guard let data = FileManager.default.contents(atPath: path) else { throw SweepError("cannot read sweep config \(path)") }
    let user: [String: Any]
    do {
      guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw SweepError("\(path): expected a JSON object")
      }
      user = object
    } catch let error as SweepError {
      throw error
    } catch {
      throw SweepError("\(path) is not valid JSON (\(error.localizedDescription))")
    }
    let defaults = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(SweepConfig())) as! [String: Any]
    var merged = try overlay(user, on: defaults, path: "", file: path)
    // The default's variants apply only to entries the configuration lists (the file's own
    // entries stay, so one naming no listed entry is refused by `validate`).
    let ownEntries = Set((user["method_options"] as? [String: Any])?.keys.map { $0 } ?? [])
    if let methods = merged["methods"] as? [String], let options = merged["method_options"] as? [String: Any] {
      merged["method_options"] = options.filter { methods.contains($0.key) || ownEntries.contains($0.key) }
    }
    do {
      return try JSONDecoder().decode(SweepConfig.self, from: try JSONSerialization.data(withJSONObject: merged))
    } catch let DecodingError.keyNotFound(key, context) {
      throw SweepError("\(path): missing \(codingPath(context.codingPath + [key]))")
    } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
      throw SweepError("\(path): \(codingPath(context.codingPath)): \(context.debugDescription)")
    } catch let DecodingError.dataCorrupted(context) {
      throw SweepError("\(path): \(codingPath(context.codingPath)): \(context.debugDescription)")
    }
  }

  /// `user` laid over `base`: objects merge key by key, anything else replaces.
  static func overlay(_ user: [String: Any], on base: [String: Any], path: String, file: String) throws -> [String: Any] {
    var out = base
    for (key, value) in user where !key.hasPrefix("#") && key != "comment" {
      let keyPath = path.isEmpty ? key : path + "." + key
      if keyPath == "method_options" {
        guard let entries = value as? [String: Any] else { throw SweepError("\(file): method_options must be an object") }
        var checked = base[key] as? [String: Any] ?? [:]
        for (entry, options) in entries {
          guard let options = options as? [String: Any] else { throw SweepError("\(file): method_options.\(entry) must be an object of train options") }
          do {
            _ = try TrainOptions.decode(options, context: "\(file): method_options.\(entry)")
          } catch let error as TrainingError {
            throw SweepError(error.description)
          }
          // Keys left out of an entry the default also has keep the default's values.
          checked[entry] = (checked[entry] as? [String: Any] ?? [:]).merging(options) { $1 }
        }
        out[key] = checked
        continue
      }
      guard base[key] != nil || optionalKeys.contains(keyPath) else {
        throw SweepError("\(file): unknown key \(keyPath) (known here: \(base.keys.sorted().joined(separator: ", ")))")
      }
      if let inner = value as? [String: Any], let baseInner = base[key] as? [String: Any] {
        out[key] = try overlay(inner, on: baseInner, path: keyPath, file: file)
      } else {
        out[key] = value
      }
    }
    return out
  }

  static func codingPath(_ keys: [any CodingKey]) -> String {
    keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
  }
}

/// A sweep that cannot go on.
public struct SweepError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}
