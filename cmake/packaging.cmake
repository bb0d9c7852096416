# What `cmake --install` and CPack ship, as two components:
#   model-runner-bridge          what runs in a sandbox: the bridge, start-openclaw, man pages,
#                                bash and zsh completion, docs (the first three are installed
#                                from bridge/)
#   model-runner-bridge-testkit  the fakes, scenario-runner and the scenario catalogue, for people
#                                who run the conformance suites against their own bridge or proxy
# `cmake --install build --component model-runner-bridge` installs one of them; ci/package.sh
# builds the .deb of the first with CPack (the second needs a build with the fakes and tests).
set(MRB_PACKAGE_CONTACT "model-runner-bridge maintainers <maintainers@model-runner-bridge.invalid>"
  CACHE STRING "Maintainer field of the .deb packages")

set(mrb_doc_dir ${CMAKE_INSTALL_DATADIR}/doc/model-runner-bridge)
install(FILES README.md docs/bridge.md docs/setup.md docs/capture.md cmake/debian/copyright
  DESTINATION ${mrb_doc_dir} COMPONENT model-runner-bridge)

# Debian wants its own changelog, gzip -9n, dated by the commit so rebuilds are identical.
if(MRB_SOURCE_EPOCH)
  set(ENV{SOURCE_DATE_EPOCH} "${MRB_SOURCE_EPOCH}")
endif()
string(TIMESTAMP mrb_deb_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE ${CMAKE_BINARY_DIR}/debian/changelog.Debian
  "model-runner-bridge (${PROJECT_VERSION}-1) unstable; urgency=medium\n\n"
  "  * Release ${PROJECT_VERSION} (commit ${MRB_GIT_COMMIT}); changes in CHANGELOG.md.\n\n"
  " -- ${MRB_PACKAGE_CONTACT}  ${mrb_deb_date}\n")
find_program(MRB_GZIP gzip)
if(MRB_GZIP)
  execute_process(COMMAND ${MRB_GZIP} -9nf ${CMAKE_BINARY_DIR}/debian/changelog.Debian)
  # The upstream changelog under the name Debian gives it (CHANGELOG.md, compressed).
  execute_process(COMMAND ${MRB_GZIP} -9nc ${PROJECT_SOURCE_DIR}/CHANGELOG.md
    OUTPUT_FILE ${CMAKE_BINARY_DIR}/debian/changelog.gz)
  install(FILES ${CMAKE_BINARY_DIR}/debian/changelog.Debian.gz ${CMAKE_BINARY_DIR}/debian/changelog.gz
    DESTINATION ${mrb_doc_dir} COMPONENT model-runner-bridge)
else()
  install(FILES CHANGELOG.md DESTINATION ${mrb_doc_dir} COMPONENT model-runner-bridge)
endif()
# A static binary is the point of the release build; say so to lintian.
if(MRB_STATIC_BINARY)
  file(WRITE ${CMAKE_BINARY_DIR}/debian/lintian-overrides
    "# One static file that runs in any image of its architecture, by design.\n"
    "model-runner-bridge: statically-linked-binary [usr/bin/model-runner-bridge]\n"
    "# Not uploaded to Debian: there is no ITP bug to close.\n"
    "model-runner-bridge: initial-upload-closes-no-bugs [usr/share/doc/model-runner-bridge/changelog.Debian.gz:1]\n")
  install(FILES ${CMAKE_BINARY_DIR}/debian/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
    RENAME model-runner-bridge COMPONENT model-runner-bridge)
endif()

# The testkit. fake-sandbox-proxy installs itself (fakes/sandbox_proxy), into this component
# because the top-level CMakeLists sets it as the default before add_subdirectory(fakes).
if(MRB_BUILD_FAKES)
  install(TARGETS fake-model-runner fake-openclaw RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    COMPONENT model-runner-bridge-testkit)
endif()
if(TARGET scenario-runner)
  install(TARGETS scenario-runner RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT model-runner-bridge-testkit)
  install(DIRECTORY scenarios/ DESTINATION ${CMAKE_INSTALL_DATADIR}/model-runner-bridge/scenarios
    COMPONENT model-runner-bridge-testkit FILES_MATCHING PATTERN "*.json" PATTERN "runner" EXCLUDE)
  install(FILES docs/scenarios.md docs/conformance.md docs/fake-model-runner.md docs/fake-sandbox-proxy.md
                docs/fake-openclaw.md cmake/debian/copyright
    DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/model-runner-bridge-testkit COMPONENT model-runner-bridge-testkit)
endif()

# --- CPack: one .deb per component ---
set(CPACK_PACKAGE_NAME model-runner-bridge)
set(CPACK_PACKAGE_VENDOR "model-runner-bridge")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${MRB_PACKAGE_CONTACT}")
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL model-runner-bridge)
if(TARGET scenario-runner)
  list(APPEND CPACK_COMPONENTS_ALL model-runner-bridge-testkit)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON) # computed: nothing for the static bridge
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
if(MRB_DEB_ARCHITECTURE) # cross builds name theirs (cmake/toolchain-aarch64-linux-gnu.cmake)
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${MRB_DEB_ARCHITECTURE})
endif()
set(CPACK_DEBIAN_MODEL-RUNNER-BRIDGE_PACKAGE_NAME model-runner-bridge)
set(CPACK_DEBIAN_MODEL-RUNNER-BRIDGE-TESTKIT_PACKAGE_NAME model-runner-bridge-testkit)
set(CPACK_COMPONENT_MODEL-RUNNER-BRIDGE_DESCRIPTION
  "relay from a Docker sandbox through its proxy to Docker Model Runner
model-runner-bridge runs inside a Docker sandbox, listens on loopback and
relays OpenAI-style requests through the sandbox's HTTP proxy to Docker
Model Runner on the host, streaming without buffering. Failures are
answered with JSON errors that name the broken hop and its fix. It also
sets OpenClaw up (models, configure, doctor, start-openclaw).")
set(CPACK_COMPONENT_MODEL-RUNNER-BRIDGE-TESTKIT_DESCRIPTION
  "conformance kit for model-runner-bridge and sandbox proxies
Fakes of Docker Model Runner, the Docker sandbox proxy and OpenClaw,
the scenario runner and the scenario catalogue, to run the conformance
suites against another bridge or proxy.")
include(CPack)
