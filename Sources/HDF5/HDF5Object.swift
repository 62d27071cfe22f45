// What files, groups and datasets share: an open HDF5 identifier with a file path and a name.

import CHDF5

/// An open HDF5 object that can carry attributes.
public protocol HDF5Object: AnyObject {
  /// The open identifier (valid while the object is alive).
  var id: hid_t { get }
  /// The file this object lives in (for error messages).
  var path: String { get }
  /// The object's absolute name inside the file, for example "/model/wte".
  var name: String { get }
}

extension HDF5Object {
  /// The absolute name of a child called `child`.
  func childName(_ child: String) -> String {
    name == "/" ? "/" + child : name + "/" + child
  }
}
