// `prism`: the headless command-line front end of the engine. Parses arguments and wires
// subcommands to engine calls; all logic lives in prism_engine.
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
    CLI::App app{"prism — Prism Studio's headless engine"};
    app.require_subcommand(1);
    CLI11_PARSE(app, argc, argv);
    return 0;
}
