// `gatehouse explain`: an Explanation (routing/explain.h) in words, for a person at a terminal.
#pragma once

#include <ostream>

#include "routing/explain.h"

namespace gatehouse::app {

void print_explanation(const routing::RouteTable& table, const routing::Explanation& explanation,
                       std::ostream& out);

}  // namespace gatehouse::app
