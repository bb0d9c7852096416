# Cross build for arm64 (Apple-silicon Docker Desktop runs arm64 sandboxes) with Debian's
# g++-aarch64-linux-gnu and the multiarch arm64 Boost libraries (ci/install-package-deps.sh).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Libraries and their CMake configs from /usr/lib/aarch64-linux-gnu; headers (arch-independent)
# from /usr/include; programs from the build machine.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
# Build-time steps that run the bridge (man page, completions) run it under qemu.
find_program(MRB_QEMU_AARCH64 qemu-aarch64-static)
if(MRB_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${MRB_QEMU_AARCH64})
endif()
set(MRB_DEB_ARCHITECTURE arm64)
