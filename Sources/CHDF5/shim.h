// CHDF5 shim: functions for the HDF5 macros the Swift layer uses (native types, defaults, flags).
#ifndef MINILLM_CHDF5_SHIM_H
#define MINILLM_CHDF5_SHIM_H
#include <hdf5.h>

static inline hid_t chdf5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t chdf5_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t chdf5_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t chdf5_c_s1(void) { return H5T_C_S1; }

static inline hid_t chdf5_p_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t chdf5_p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t chdf5_s_all(void) { return H5S_ALL; }
static inline hid_t chdf5_e_default(void) { return H5E_DEFAULT; }

static inline unsigned chdf5_f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned chdf5_f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline size_t chdf5_variable(void) { return H5T_VARIABLE; }

/// A file-access property list that writes the HDF5 1.8+ file format, whose superblock and
/// object headers (where attributes live) carry checksums that the library verifies on read.
/// The caller closes it with H5Pclose.
static inline hid_t chdf5_fapl_checksummed_metadata(void) {
  hid_t list = H5Pcreate(H5P_FILE_ACCESS);
  if (list < 0) return list;
  if (H5Pset_libver_bounds(list, H5F_LIBVER_V18, H5F_LIBVER_LATEST) < 0) { H5Pclose(list); return -1; }
  return list;
}

/// Turns off HDF5's automatic error printing; errors are read from the stack instead.
static inline herr_t chdf5_silence_errors(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
#endif
