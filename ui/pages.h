#pragma once

// The pages that live in their own folders (SQL console, tokens, sizes), added to the main window in order.
// Kept apart from mainwindow.cpp so that the window does not need to know each page's constructor.

#include <QString>

#include <functional>

namespace qsqld::ui {

class MainWindow;
class Page;
class ProfileStore;

void addOptionalPages(MainWindow &window, ProfileStore *store,
                      const std::function<void(const QString &title, const QString &shortcut, Page *page)> &add);

} // namespace qsqld::ui
