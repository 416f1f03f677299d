// Soft checks for the studio's UI invariants (STYLE.md §10, after Qt Creator's QTC_ASSERT):
// a broken invariant logs where it happened and runs a recovery action instead of crashing
// the studio. For "cannot happen" states only, never for user input.
#pragma once

#include <QtGlobal>

/// PRISM_UI_CHECK(cond, action): if !cond, log "soft check failed: cond at file:line" and
/// run `action` (e.g. `return`, `return false`, `continue`).
#define PRISM_UI_CHECK(cond, action)                                                               \
    do {                                                                                           \
        if (Q_UNLIKELY(!(cond))) {                                                                 \
            qWarning("prism: soft check failed: \"%s\" at %s:%d", #cond, __FILE__, __LINE__);      \
            action;                                                                                \
        }                                                                                          \
    } while (false)
