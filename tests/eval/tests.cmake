# Recognition on real questions (CounselChat, tests/data/): how many get a
# meaningful topic rather than the fallback, and whether it fits the labels.
# See tools/eval_topics.py and docs/authoring.md.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME eval_topics_counselchat
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/eval_topics.py
            --binary $<TARGET_FILE:trustcoach>
            --dialogs ${TRUSTCOACH_DIALOGS_DIR}
            --data ${CMAKE_CURRENT_SOURCE_DIR}/data/counselchat_dev.jsonl
            --min-meaningful 95 --min-fit 90
            --cases ${CMAKE_CURRENT_SOURCE_DIR}/data/topic_cases.jsonl --min-cases 95)
endif()
