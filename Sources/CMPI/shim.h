// CMPI shim: functions for the Open MPI macros the Swift layer uses (handles, constants).
#ifndef MINILLM_CMPI_SHIM_H
#define MINILLM_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm cmpi_comm_null(void) { return MPI_COMM_NULL; }

static inline MPI_Datatype cmpi_type_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype cmpi_type_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype cmpi_type_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype cmpi_type_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype cmpi_type_uint8(void) { return MPI_UINT8_T; }

static inline MPI_Op cmpi_op_sum(void) { return MPI_SUM; }
static inline MPI_Op cmpi_op_max(void) { return MPI_MAX; }
static inline MPI_Op cmpi_op_min(void) { return MPI_MIN; }

static inline MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Request cmpi_request_null(void) { return MPI_REQUEST_NULL; }

static inline void *cmpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *cmpi_status_ignore(void) { return MPI_STATUS_IGNORE; }

static inline int cmpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Info cmpi_info_null(void) { return MPI_INFO_NULL; }

static inline int cmpi_success(void) { return MPI_SUCCESS; }
static inline int cmpi_undefined(void) { return MPI_UNDEFINED; }
static inline int cmpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int cmpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int cmpi_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }
static inline int cmpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int cmpi_any_tag(void) { return MPI_ANY_TAG; }

/// MPI's own error class names (MPI_ERR_ROOT, ...), so messages say which rule was broken.
static inline int cmpi_err_root(void) { return MPI_ERR_ROOT; }
static inline int cmpi_err_count(void) { return MPI_ERR_COUNT; }
static inline int cmpi_err_arg(void) { return MPI_ERR_ARG; }
static inline int cmpi_err_truncate(void) { return MPI_ERR_TRUNCATE; }
static inline int cmpi_err_rank(void) { return MPI_ERR_RANK; }
static inline int cmpi_err_buffer(void) { return MPI_ERR_BUFFER; }

#endif
