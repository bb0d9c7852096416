// The corpus replay: runs LLVMFuzzerTestOneInput on every file named on the command line, or
// in a directory named there, so GCC builds (and CI, without clang) check every committed input.
// A broken invariant aborts, which fails the ctest test.

#include "fuzz_support.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

namespace fs = std::filesystem;

int main(int argc, char** argv)
{
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i)
    {
        const fs::path arg(argv[i]);
        if (fs::is_directory(arg))
        {
            for (const auto& entry : fs::directory_iterator(arg))
                if (entry.is_regular_file())
                    files.push_back(entry.path());
        }
        else if (fs::is_regular_file(arg))
            files.push_back(arg);
        else
        {
            std::cerr << "replay: no such file or directory: " << arg << "\n";
            return 2;
        }
    }
    // A fixed order makes a failure reproducible from the log.
    std::sort(files.begin(), files.end());
    if (files.empty())
    {
        std::cerr << "replay: no inputs (an empty corpus checks nothing)\n";
        return 2;
    }
    for (const auto& f : files)
    {
        std::ifstream in(f, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::cerr << "replay: " << f.filename().string() << " (" << bytes.size() << " bytes)\n";
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
    std::cout << "replay: " << files.size() << " inputs, all invariants held\n";
    return 0;
}
