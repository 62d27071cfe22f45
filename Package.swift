// swift-tools-version: 6.0
// minillm-dist: MiniLLM distillation of language models over MPI, in Swift.
import PackageDescription


let package = Package(
  name: "minillm-dist",
  products: [
    .executable(name: "minillm-dist", targets: ["minillm-dist"]),
    .library(name: "Collectives", targets: ["Collectives"]),
    .library(name: "MPI", targets: ["MPI"]),
    .library(name: "HDF5", targets: ["HDF5"]),
    .library(name: "Kernels", targets: ["Kernels"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // C bridges: one system library each, found through pkg-config, with a shim header that
    // turns the C macros we use into functions. No other module touches a C macro.
    .systemLibrary(
      name: "CMPI", pkgConfig: "ompi-c",
      providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
    .systemLibrary(
      name: "CBLAS", pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(
      name: "CHDF5", pkgConfig: "hdf5",
      providers: [.apt(["libhdf5-dev"])]),

    // Swift layers, dependencies pointing down toward C.
    .target(name: "Collectives"),
    .target(name: "AtomicFiles"),
    .target(name: "MPI", dependencies: ["CMPI", "Collectives"]),
    .target(name: "HDF5", dependencies: ["CHDF5"]),
    .target(name: "CKernels"),
    .target(name: "Kernels", dependencies: ["CBLAS", "CKernels"]),
    .target(name: "Randomness"),
    .target(name: "Tokenizers", dependencies: ["AtomicFiles"]),
    .target(name: "Evaluation"),
    .target(name: "Reports"),
    .target(
      name: "Sweeps",
      dependencies: ["AtomicFiles", "Checkpointing", "Collectives", "Datasets", "Distill", "Model", "Optim", "Reports", "Tokenizers", "Training"]),
    .target(name: "Distill", dependencies: ["Kernels"]),
    .target(name: "Rollouts", dependencies: ["Distill", "Datasets", "Generation"]),
    .target(name: "Datasets", dependencies: ["AtomicFiles", "Tokenizers", "Randomness", "HDF5"]),
    .target(
      name: "Training",
      dependencies: [
        "Checkpointing", "Collectives", "Datasets", "Distill", "Evaluation", "Generation", "Kernels", "Model",
        "Optim", "Randomness", "Rollouts", "Tokenizers",
      ]),
    .target(name: "Checkpointing", dependencies: ["AtomicFiles", "HDF5", "Model", "Optim", "Tokenizers", "Datasets", "Collectives", "Rollouts"]),
    .target(
      name: "Model", dependencies: ["Kernels", "Randomness", "Collectives"]),
    .target(name: "Optim", dependencies: ["Model", "Kernels", "CKernels"]),
    .target(
      name: "Generation", dependencies: ["Model", "Kernels", "Randomness", "Collectives"]),
    .target(name: "SelfTest", dependencies: ["Collectives", "HDF5", "Kernels", "Model", "Generation", "Randomness"]),
    .executableTarget(
      name: "minillm-dist",
      dependencies: [
        "AtomicFiles", "MPI", "Collectives", "HDF5", "Kernels", "SelfTest", "Model", "Optim", "Generation",
        "Randomness", "Tokenizers", "Datasets", "Checkpointing", "Training", "Distill", "Evaluation", "Reports", "Sweeps",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    .testTarget(name: "AtomicFilesTests", dependencies: ["AtomicFiles"]),
    .testTarget(name: "CollectivesTests", dependencies: ["Collectives", "SelfTest"]),
    .testTarget(name: "MPITests", dependencies: ["MPI", "Collectives", "SelfTest"]),
    .testTarget(name: "HDF5Tests", dependencies: ["HDF5"]),
    .testTarget(name: "KernelsTests", dependencies: ["Kernels", "Randomness", "SelfTest", "TestSupport"]),
    .testTarget(name: "ModelTests", dependencies: ["Model", "Kernels", "Randomness", "TestSupport"]),
    .testTarget(name: "OptimTests", dependencies: ["Optim", "Model", "TestSupport"]),
    .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers"], resources: [.copy("Fixtures")]),
    .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Tokenizers"]),
    .testTarget(
      name: "CheckpointingTests",
      dependencies: ["Checkpointing", "Model", "Optim", "Datasets", "HDF5", "Rollouts", "Tokenizers", "TestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
    .testTarget(name: "EvaluationTests", dependencies: ["Evaluation"], resources: [.copy("Fixtures")]),
    .testTarget(name: "DistillTests", dependencies: ["Distill", "Kernels", "TestSupport"]),
    .testTarget(name: "RolloutsTests", dependencies: ["Rollouts", "Distill", "Datasets", "Kernels", "TestSupport"]),
    .testTarget(
      name: "TrainingTests",
      dependencies: [
        "Training", "Checkpointing", "Collectives", "Datasets", "Distill", "HDF5", "Kernels", "Model", "Optim", "Tokenizers", "TestSupport",
      ]),
    .testTarget(name: "SweepsTests", dependencies: ["Sweeps", "Training", "Collectives"]),
    .testTarget(name: "GenerationTests", dependencies: ["Generation", "Model", "Randomness", "TestSupport"]),
    .target(name: "TestSupport", dependencies: ["Kernels", "Randomness"], path: "Tests/TestSupport"),
  ]
)
