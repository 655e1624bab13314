// The main of the fuzz_replay_<name> tests: runs a fuzz target's LLVMFuzzerTestOneInput once on every file named on
// the command line, or found in a directory named there (not recursively, in name order). This turns the committed
// corpus, and every crash input saved into it, into an ordinary test under gcc, and under ASan with QSQLD_SANITIZE.
// A failing input aborts the process; the name printed before it says which one it was.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

std::vector<std::filesystem::path> inputsOf(const std::filesystem::path &arg)
{
    if (!std::filesystem::is_directory(arg))
        return { arg };
    std::vector<std::filesystem::path> files;
    for (const auto &entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file())
            files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

} // namespace

int main(int argc, char **argv)
{
    size_t count = 0;
    for (int i = 1; i < argc; ++i) {
        for (const std::filesystem::path &file : inputsOf(argv[i])) {
            std::ifstream in(file, std::ios::binary);
            if (!in) {
                std::fprintf(stderr, "replay: cannot read %s\n", file.c_str());
                return 1;
            }
            const std::vector<char> bytes{ std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>() };
            std::printf("replay: %s (%zu bytes)\n", file.c_str(), bytes.size());
            std::fflush(stdout);
            LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size());
            ++count;
        }
    }
    std::printf("replay: %zu input(s) ran without a failure\n", count);
    return count > 0 ? 0 : 1;
}
