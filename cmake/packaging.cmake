# install() rules and CPack: `./setup.sh package` builds
#   dist/wsgate_<version>_amd64.deb              (installs under /usr)
#   dist/wsgate-<version>-linux-x86_64.tar.gz    (bin/, lib/, share/; relocatable,
#                                                 its libraries in lib/)
# Both hold bin/wsgate, the man page and the example specs.
include(GNUInstallDirs)

# The man page is installed compressed, as Debian policy asks.
find_program(GZIP_PROGRAM gzip REQUIRED)
set(WSGATE_MAN_GZ ${PROJECT_BINARY_DIR}/wsgate.1.gz)
add_custom_command(OUTPUT ${WSGATE_MAN_GZ}
  COMMAND ${GZIP_PROGRAM} -9nc ${PROJECT_SOURCE_DIR}/docs/wsgate.1 > ${WSGATE_MAN_GZ}
  DEPENDS ${PROJECT_SOURCE_DIR}/docs/wsgate.1
  COMMENT "Compressing the man page")
add_custom_target(wsgate_man ALL DEPENDS ${WSGATE_MAN_GZ})

install(TARGETS wsgate RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${WSGATE_MAN_GZ} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
file(GLOB WSGATE_EXAMPLE_SPECS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/specs/*.yaml)
install(FILES ${WSGATE_EXAMPLE_SPECS} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES README.md packaging/INSTALL DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME wsgate)
set(CPACK_PACKAGE_VENDOR "wsgate")
set(CPACK_PACKAGE_CONTACT "wsgate maintainers <wsgate@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "WebSocket load-test runner for CI pipelines")
set(CPACK_PACKAGE_DESCRIPTION
  "wsgate runs a WebSocket load test described in a YAML spec, checks its\nassertions and gates a CI job on them with JUnit, JSON, Markdown and HTML\nreports; shards run in parallel and merge exactly.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_STRIP_FILES ON)
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_SOURCE_DIR}/dist)
set(CPACK_GENERATOR DEB TGZ)

set(CPACK_DEBIAN_FILE_NAME wsgate_${PROJECT_VERSION}_amd64.deb)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/OWNER/wsgate")
# Depends, with versions, from the libraries the binary links
# (dpkg-shlibdeps); ./setup.sh package fails when their names differ from
# packaging/runtime-packages.txt, which the Dockerfile repeats.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libwebsockets loads its libev event loop as a plugin (dlopen), which
# dpkg-shlibdeps cannot see; without it no context starts (exit 3).
set(CPACK_DEBIAN_PACKAGE_DEPENDS libwebsockets-evlib-ev)
# wss:// targets verify against the system's certificate authorities.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS ca-certificates)

# The tarball and its top folder (the .deb is named above); its lib/ is
# filled by packaging/bundle-libs.sh (cmake/cpack-generators.cmake).
set(CPACK_PACKAGE_FILE_NAME wsgate-${PROJECT_VERSION}-linux-x86_64)
set(CPACK_WSGATE_SOURCE_DIR ${PROJECT_SOURCE_DIR})
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/cmake/cpack-generators.cmake)
include(CPack)
