# Debian packages (cpack -G DEB in the build folder): `qsqld` (the server, a systemd unit with sandboxing, data in
# /var/lib/qsqld, settings in /etc/default/qsqld) and `qsqld-console` (the desktop console, its menu entry and icon).
set(QSQLD_DEB_DIR ${CMAKE_CURRENT_LIST_DIR}/debian)

install(FILES ${QSQLD_DEB_DIR}/qsqld.service DESTINATION /lib/systemd/system COMPONENT server)
install(FILES ${QSQLD_DEB_DIR}/qsqld.default DESTINATION /etc/default RENAME qsqld COMPONENT server)
if(QSQLD_BUILD_CONSOLE)
    install(FILES ${QSQLD_DEB_DIR}/qsqld-console.desktop DESTINATION share/applications COMPONENT console)
    install(FILES ${CMAKE_SOURCE_DIR}/resources/qsqld.svg DESTINATION share/icons/hicolor/scalable/apps
            COMPONENT console)
endif()

file(WRITE ${CMAKE_BINARY_DIR}/debian-server/conffiles "/etc/default/qsqld\n")
file(COPY ${QSQLD_DEB_DIR}/postinst ${QSQLD_DEB_DIR}/prerm DESTINATION ${CMAKE_BINARY_DIR}/debian-server
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME qsqld)
set(CPACK_PACKAGE_VENDOR "qsqld")
set(CPACK_PACKAGE_CONTACT "qsqld maintainers <maintainers@qsqld.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL server)
if(QSQLD_BUILD_CONSOLE)
    list(APPEND CPACK_COMPONENTS_ALL console)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_SERVER_PACKAGE_NAME qsqld)
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_SERVER_DESCRIPTION "Drop-in server for libSQL/sqld clients
 One SQLite database per tenant, served over sqld's HTTP, WebSocket and replication APIs, and
 Turso Sync. Runs as the qsqld system user from a sandboxed systemd unit.")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    "${CMAKE_BINARY_DIR}/debian-server/postinst;${CMAKE_BINARY_DIR}/debian-server/prerm;${CMAKE_BINARY_DIR}/debian-server/conffiles")
set(CPACK_DEBIAN_CONSOLE_PACKAGE_NAME qsqld-console)
set(CPACK_DEBIAN_CONSOLE_PACKAGE_SECTION database)
set(CPACK_DEBIAN_CONSOLE_PACKAGE_DEPENDS "libqt6sql6-sqlite") # a plugin: shlibdeps cannot see it
set(CPACK_DEBIAN_CONSOLE_DESCRIPTION "Desktop admin console for qsqld and sqld deployments
 Tenants with sizes, a SQL console through the Hrana pipeline, JWT keys and tokens, sizes over time,
 and a built-in server for local work.")
include(CPack)
