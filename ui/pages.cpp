#include "pages.h"

#include "charts/sizespage.h"
#include "editor/sqlconsolepage.h"
#include "mainwindow.h"
#include "tokens/tokenspage.h"

namespace qsqld::ui {

void addOptionalPages(MainWindow &window, ProfileStore *store,
                      const std::function<void(const QString &, const QString &, Page *)> &add)
{
    Q_UNUSED(store);
    add(MainWindow::tr("SQL"), QStringLiteral("Ctrl+3"), new SqlConsolePage(&window));
    add(MainWindow::tr("Tokens"), QStringLiteral("Ctrl+4"), new TokensPage(&window));
    add(MainWindow::tr("Sizes"), QStringLiteral("Ctrl+5"), new SizesPage(&window));
}

} // namespace qsqld::ui
