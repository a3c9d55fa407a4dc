# The dependencies of a Windows build, from the staging directory scripts/build-windows
# prepares (SANDBOXCTL_WINDOWS_DEPS): the header-only libraries from the Debian packages
# (toml++, nlohmann-json, spdlog, fmt), the Boost headers and Boost.Program_options
# compiled from Debian's boost1.74 source package, GoogleTest from /usr/src/googletest.
# The targets carry the names find_package gives them on Linux.
if(NOT SANDBOXCTL_WINDOWS_DEPS OR NOT EXISTS ${SANDBOXCTL_WINDOWS_DEPS}/include/boost/version.hpp)
  message(FATAL_ERROR "a Windows build needs -DSANDBOXCTL_WINDOWS_DEPS=<dir> as scripts/build-windows prepares it")
endif()
set(deps ${SANDBOXCTL_WINDOWS_DEPS})

add_library(sbx_dep_headers INTERFACE)
target_include_directories(sbx_dep_headers SYSTEM INTERFACE ${deps}/include)
set(TOMLPLUSPLUS_INCLUDE_DIR ${deps}/include)
add_library(nlohmann_json::nlohmann_json ALIAS sbx_dep_headers)

add_library(sbx_dep_fmt INTERFACE)
target_compile_definitions(sbx_dep_fmt INTERFACE FMT_HEADER_ONLY=1)
target_link_libraries(sbx_dep_fmt INTERFACE sbx_dep_headers)
add_library(fmt::fmt-header-only ALIAS sbx_dep_fmt)
add_library(sbx_dep_spdlog INTERFACE)
target_compile_definitions(sbx_dep_spdlog INTERFACE SPDLOG_HEADER_ONLY SPDLOG_FMT_EXTERNAL)
target_link_libraries(sbx_dep_spdlog INTERFACE sbx_dep_fmt)
add_library(spdlog::spdlog_header_only ALIAS sbx_dep_spdlog)

file(GLOB program_options_sources ${deps}/boost-src/libs/program_options/src/*.cpp)
add_library(sbx_dep_program_options STATIC ${program_options_sources})
target_link_libraries(sbx_dep_program_options PUBLIC sbx_dep_headers)
target_compile_definitions(sbx_dep_program_options PUBLIC BOOST_ALL_NO_LIB)
target_compile_options(sbx_dep_program_options PRIVATE -w)  # not our code
add_library(Boost::program_options ALIAS sbx_dep_program_options)

set(gtest_force_shared_crt OFF CACHE BOOL "" FORCE)
set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
add_subdirectory(/usr/src/googletest ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)  # defines GTest::gtest_main
