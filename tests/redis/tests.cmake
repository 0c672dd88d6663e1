# Several `trustcoach serve` instances on one Redis, directly and behind
# nginx with docs/nginx.conf.sample (stdlib Python; starts its own
# redis-server and nginx on free loopback ports).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND AND TARGET trustcoach_server AND TRUSTCOACH_WITH_REDIS)
  add_test(NAME redis_scale_out
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/redis_test.py
            --binary $<TARGET_FILE:trustcoach>)
  set_tests_properties(redis_scale_out PROPERTIES TIMEOUT 600 LABELS redis COST 40)
endif()
