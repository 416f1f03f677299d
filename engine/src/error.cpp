// Boundary conversion of exceptions into prism::error values (see error.h).
#include "prism/error.h"

#include <new>

namespace prism {

error current_exception_to_error(const std::string& path) {
    try {
        throw;
    } catch (const engine_error& e) {
        return {e.code(), e.what(), path, e.offset()};
    } catch (const std::bad_alloc&) {
        return {errc::out_of_memory, "out of memory", path, -1};
    } catch (const std::invalid_argument& e) {
        return {errc::invalid_argument, e.what(), path, -1};
    } catch (const std::exception& e) {
        return {errc::internal, e.what(), path, -1};
    } catch (...) {
        return {errc::internal, "unknown exception", path, -1};
    }
}

}  // namespace prism
