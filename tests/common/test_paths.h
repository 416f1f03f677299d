// Paths to test data, shared by every test executable.
#pragma once

#include <string>

namespace prism::test {

inline std::string shared_path(const std::string& rel) {
    return std::string(PRISM_SHARED_DIR) + "/" + rel;
}
inline std::string bundled_model() {
    return std::string(PRISM_RESOURCES_DIR) + "/models/stories260K.gguf";
}
inline std::string stories_bin() {
    return shared_path("models/stories260K/stories260K.bin");
}
inline std::string stories_tok() {
    return shared_path("models/stories260K/tok512.bin");
}
inline std::string reference(const std::string& name) {
    return shared_path("reference/stories260K/" + name);
}

}  // namespace prism::test
