#include "model/objects.h"

namespace gatehouse::model {

const char* to_string(PathType type) {
  switch (type) {
    case PathType::kExact:
      return "Exact";
    case PathType::kPrefix:
      return "Prefix";
    case PathType::kImplementationSpecific:
      return "ImplementationSpecific";
  }
  return "?";
}

}  // namespace gatehouse::model
