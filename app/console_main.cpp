// qsqld-console: the Qt Widgets admin console (ui/). Thin: application setup, then the main window.

#include "mainwindow.h"

#include <QApplication>
#include <QIcon>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("qsqld-console"));
    QApplication::setOrganizationName(QStringLiteral("qsqld"));
    QApplication::setApplicationVersion(QStringLiteral(QSQLD_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/qsqld/qsqld.svg")));
    qsqld::ui::MainWindow window;
    window.show();
    return QApplication::exec();
}
