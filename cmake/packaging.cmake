# Installation and the Debian package (`cpack -G DEB`, or `cpack --preset deb` in a `package`
# build). The package holds /usr/bin/lector, the systemd unit, the default configuration
# /etc/lector/lector.toml (a conffile) and the README; its Depends come from dpkg-shlibdeps.
# The engines' data comes through those Depends (libespeak-ng1 depends on espeak-ng-data; flite's
# voices are linked into the binary); festival's Scheme library and voices are Recommends, since
# the festival engine is left out when they are missing and the others keep working.

include(GNUInstallDirs)

install(TARGETS lector RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Debian 12 is merged-/usr: /usr/lib/systemd/system is where packages put their units.
install(FILES ${PROJECT_SOURCE_DIR}/deploy/lector.service DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Swagger UI (Apache-2.0) is embedded for /docs when the build had it: its licence and the
# notices of the bundle's own dependencies go with the package.
if(EXISTS ${LECTOR_SWAGGER_DIST}/LICENSE)
  install(FILES ${LECTOR_SWAGGER_DIST}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR}
          RENAME swagger-ui.LICENSE)
  install(FILES ${LECTOR_SWAGGER_DIST}/swagger-ui-bundle.js.LICENSE.txt
          DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME swagger-ui-bundle.NOTICES)
endif()
# Absolute: a configuration lives in /etc whatever the prefix (CPACK_SET_DESTDIR below keeps
# cpack's staging install inside its own directory).
install(FILES ${PROJECT_SOURCE_DIR}/deploy/lector.toml DESTINATION /etc/lector)

set(CPACK_PACKAGE_NAME lector)
set(CPACK_PACKAGE_VENDOR "Lector")
set(CPACK_PACKAGE_CONTACT "Lector maintainers <maintainers@users.noreply.b-seed-9f59224b.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "real-time text-to-speech server")
set(CPACK_PACKAGE_DESCRIPTION
    "Lector serves speech synthesized by espeak-ng, flite and festival over HTTP and WebSocket,\
 to many users at once, sentence by sentence as it is synthesized. It speaks the RealtimeTTS\
 server's routes, OpenAI's speech API and MaryTTS's API.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION sound)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "festival, festvox-kallpc16k, festvox-us-slt-hts")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS
    "nginx, festvox-kdlpc16k, festvox-italp16k, festvox-itapc16k, festvox-ru, festvox-suopuhe-lj,\
 festvox-suopuhe-mv, festvox-czech-dita, festvox-czech-krb, festvox-czech-machac,\
 festvox-czech-ph, festvox-hi-nsk, festvox-mr-nsk, festvox-te-nsk, festvox-ca-ona-hts")
# Maintainer scripts: enable and start the unit as dh_installsystemd would; conffiles marks the
# configuration so that dpkg keeps local edits on upgrade.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/prerm ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
