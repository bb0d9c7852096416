# cmake -DSCRIPT=start-openclaw -DVERSION=x.y.z -DDATE=yyyy-mm-dd -DOUT=start-openclaw.1 -P start_openclaw_man.cmake
# start-openclaw(1) from the launcher's own --help text, so the page and the script cannot drift.
execute_process(COMMAND bash "${SCRIPT}" --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${SCRIPT} --help failed: ${rc}")
endif()
# roff escapes: backslash first, then hyphens; a leading dot or quote must not become a request.
string(REPLACE "\\" "\\e" help "${help}")
string(REPLACE "-" "\\-" help "${help}")
string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" help "${help}")
# The first line is "start-openclaw: SUMMARY".
# (REGEX REPLACE with ^ would repeat after each match, so split by position.)
string(FIND "${help}" "\n" nl)
string(SUBSTRING "${help}" 0 ${nl} first)
math(EXPR nl "${nl} + 1")
string(SUBSTRING "${help}" ${nl} -1 body)
string(REPLACE "start\\-openclaw: " "" summary "${first}")
file(WRITE "${OUT}" ".\\\" Generated from `start-openclaw --help`; do not edit.
.TH START\\-OPENCLAW 1 \"${DATE}\" \"model\\-runner\\-bridge ${VERSION}\" \"User Commands\"
.SH NAME
start\\-openclaw \\- ${summary}
.SH SYNOPSIS
.B start\\-openclaw
[\\fB\\-\\-listen\\fR \\fIADDR\\fR] [\\fB\\-\\-model\\fR \\fIMODEL\\fR | \\fIMODEL\\fR | \\fBlist\\fR]
.SH DESCRIPTION
.nf
${body}.fi
.SH SEE ALSO
\\fBmodel\\-runner\\-bridge\\fR(1)
")
find_program(GZIP_EXE gzip REQUIRED)
execute_process(COMMAND "${GZIP_EXE}" -9nc "${OUT}" OUTPUT_FILE "${OUT}.gz" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip ${OUT} failed: ${rc}")
endif()
