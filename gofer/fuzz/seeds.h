// The seed corpus of the request fuzzer: request sequences in its input
// format (2-byte little-endian length + datagram, repeated).
#ifndef GOFER_FUZZ_SEEDS_H_
#define GOFER_FUZZ_SEEDS_H_

#include <string>
#include <utility>
#include <vector>

namespace gofer::fuzz {

// {file name, bytes}.
std::vector<std::pair<std::string, std::string>> Seeds();

}  // namespace gofer::fuzz

#endif  // GOFER_FUZZ_SEEDS_H_
