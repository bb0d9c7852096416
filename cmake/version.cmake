# The commit a build comes from, captured at configure time for --version and the man page date.
# The version itself is set once, in project(... VERSION ...). Outside git: "unknown".
find_package(Git QUIET)
set(MRB_GIT_COMMIT "unknown")
set(MRB_SOURCE_DATE "")
if(GIT_FOUND AND EXISTS "${PROJECT_SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short=12 HEAD
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}" OUTPUT_VARIABLE _commit
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _rc)
  if(_rc EQUAL 0 AND _commit)
    set(MRB_GIT_COMMIT "${_commit}")
    # The commit date, not today: the same commit gives the same man page.
    execute_process(COMMAND "${GIT_EXECUTABLE}" log -1 --format=%cs HEAD
      WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}" OUTPUT_VARIABLE MRB_SOURCE_DATE
      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    execute_process(COMMAND "${GIT_EXECUTABLE}" log -1 --format=%ct HEAD
      WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}" OUTPUT_VARIABLE MRB_SOURCE_EPOCH
      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  endif()
endif()
if(NOT MRB_SOURCE_DATE)
  string(TIMESTAMP MRB_SOURCE_DATE "%Y-%m-%d" UTC)
endif()
