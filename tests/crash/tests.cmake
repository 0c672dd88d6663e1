# Crash safety: SIGKILL the server (SQLite store) at random moments while
# clients talk to it, restart, and check every acknowledged turn and the
# database's integrity. Standard-library Python; about 30 s.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND AND TARGET trustcoach_server)
  add_test(NAME crash_kill9_sqlite
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/crash_test.py
            --binary $<TARGET_FILE:trustcoach>)
  set_tests_properties(crash_kill9_sqlite PROPERTIES TIMEOUT 300 LABELS "crash;http" COST 35)
endif()
