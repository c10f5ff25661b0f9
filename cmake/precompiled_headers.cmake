# Precompiled headers: the third-party headers that most of a target's sources parse again and
# again (CLI11 and nlohmann/json in every subcommand of the CLI, gtest in every test, cpp-httplib
# in the service) are parsed once per target, or once for a group of targets sharing one.
# Only headers from outside the project: a change to facet's own headers rebuilds no PCH.
#
# A header in a PCH is in every source of the target, so a source forgetting its #include still
# compiles here; scripts/lint.sh runs clang-tidy without the PCH, which catches that in src/ and
# tools/. FACET_PCH=OFF builds without them.
option(FACET_PCH "Precompile the heavy third-party headers of the CLI, service and tests" ON)

# facet_precompile_headers(TARGET HEADERS <header>...)
#   TARGET gets its own PCH of the headers.
# facet_precompile_headers(TARGET REUSE_FROM <host>)
#   TARGET uses the PCH of <host>, which must be compiled with the same flags (the compiler
#   refuses a PCH made with other flags or macros, and -Winvalid-pch with -Werror fails the build).
function(facet_precompile_headers target)
  cmake_parse_arguments(ARG "" "REUSE_FROM" "HEADERS" ${ARGN})
  if(NOT FACET_PCH)
    return()
  endif()
  if(ARG_REUSE_FROM)
    target_precompile_headers(${target} REUSE_FROM ${ARG_REUSE_FROM})
  else()
    target_precompile_headers(${target} PRIVATE ${ARG_HEADERS})
  endif()
endfunction()

# facet_add_pch_host(NAME HEADERS <header>... [DEPS <target>...])
#   An object library that only makes a PCH for other targets to reuse (REUSE_FROM NAME); DEPS
#   give it the include directories and flags of those targets.
function(facet_add_pch_host name)
  cmake_parse_arguments(ARG "" "" "HEADERS;DEPS" ${ARGN})
  if(NOT FACET_PCH)
    return()
  endif()
  set(source ${CMAKE_BINARY_DIR}/generated/pch_host.cc)
  if(NOT EXISTS ${source})
    file(WRITE ${source} "// Empty: the targets facet_add_pch_host makes exist for their PCH.\n")
  endif()
  add_library(${name} OBJECT ${source})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} facet_warnings)
  target_precompile_headers(${name} PRIVATE ${ARG_HEADERS})
endfunction()

# Sets OUT to TRUE when TARGET compiles with OpenMP's flags, i.e. links OpenMP::OpenMP_CXX
# directly or through the public links of its libraries. -fopenmp defines _OPENMP, and GCC
# refuses a PCH made with a different set of predefined macros, so the two kinds of target need
# two PCHs.
function(facet_compiles_with_openmp target out)
  set(queue ${target})
  set(seen "")
  set(result FALSE)
  list(LENGTH queue left)
  while(left GREATER 0)
    list(POP_FRONT queue t)
    list(LENGTH queue left)
    if(t IN_LIST seen OR NOT TARGET ${t})
      continue()
    endif()
    list(APPEND seen ${t})
    if(t STREQUAL "OpenMP::OpenMP_CXX")
      set(result TRUE)
      break()
    endif()
    if(t STREQUAL target)
      get_target_property(libs ${t} LINK_LIBRARIES)
    else()
      get_target_property(libs ${t} INTERFACE_LINK_LIBRARIES)
    endif()
    foreach(lib IN LISTS libs)
      # $<LINK_ONLY:...> (a static library's private links) carries no compile flags.
      if(lib AND NOT lib MATCHES "^\\$<")
        list(APPEND queue ${lib})
      endif()
    endforeach()
    list(LENGTH queue left)
  endwhile()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

# facet_unity_batches(TARGET SIZE <n>)
#   Builds TARGET's sources as unity batches of up to n files in every build (the presets asan,
#   tsan and fuzz batch every target anyway). For targets whose sources each expand the same heavy
#   templates (CLI11 in every subcommand, httplib in the service), where batching halves the
#   compile time. A batch, like a PCH, lets a source compile without an #include it needs, which
#   scripts/lint.sh catches by parsing each file of a PCH target alone: so TARGET must have a PCH.
function(facet_unity_batches target)
  cmake_parse_arguments(ARG "" "SIZE" "" ${ARGN})
  get_target_property(headers ${target} PRECOMPILE_HEADERS)
  get_target_property(reused ${target} PRECOMPILE_HEADERS_REUSE_FROM)
  if(FACET_PCH AND NOT headers AND NOT reused)
    message(FATAL_ERROR "facet_unity_batches(${target}): give it a PCH first (facet_precompile_headers): "
                        "scripts/lint.sh parses alone only the files of PCH targets")
  endif()
  set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${ARG_SIZE})
endfunction()
