// Maps the Collectives element kinds and reductions onto MPI's datatypes and operations.

import CMPI
import Collectives

extension ScalarKind {
  var datatype: MPI_Datatype {
    switch self {
    case .float32: return cmpi_type_float()
    case .float64: return cmpi_type_double()
    case .int32: return cmpi_type_int32()
    case .int64: return cmpi_type_int64()
    case .uint8: return cmpi_type_uint8()
    }
  }
}

extension ReduceOp {
  var mpiOp: MPI_Op {
    switch self {
    case .sum: return cmpi_op_sum()
    case .max: return cmpi_op_max()
    case .min: return cmpi_op_min()
    }
  }
}
