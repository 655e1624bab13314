#pragma once

// One page of the console's main window (tenants, SQL, tokens, sizes, built-in server). The window owns the
// pages and tells each which deployment is active; a page keeps no other route to the network.
// Thread rule: GUI thread only.

#include <QWidget>

namespace qsqld::ui {

class ApiClient;

class Page : public QWidget
{
    Q_OBJECT
public:
    using QWidget::QWidget;

    // The deployment the console is connected to; nullptr when none. The client outlives the call until the
    // next setClient (pages must drop it then).
    virtual void setClient(ApiClient *client) = 0;
    // The tenant picked elsewhere (for example on the tenants page); empty when none.
    virtual void setCurrentTenant(const QString &ns) { Q_UNUSED(ns); }

signals:
    // A page asks the window to show another tenant everywhere (the tenants page on a double click).
    void tenantActivated(const QString &ns);
};

} // namespace qsqld::ui
