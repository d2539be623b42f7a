// PLACEHOLDER until the normalization rules land: passes the segment through unchanged.
#include "text/verbalize.h"

namespace lector::text {

MappedText verbalize(const MappedText& segment, std::string_view language) {
  (void)language;
  return segment;
}

}  // namespace lector::text
