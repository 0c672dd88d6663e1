# Hostile input against the running server: malformed, deep, huge, slow and
# endless requests, path traversal, rate-limit bursts (standard-library
# Python, loopback only). About two minutes.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND AND TARGET trustcoach_server)
  add_test(NAME hostile_http
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/hostile_test.py
            --binary $<TARGET_FILE:trustcoach>)
  set_tests_properties(hostile_http PROPERTIES TIMEOUT 900 LABELS "hostile;http" COST 80)
endif()
