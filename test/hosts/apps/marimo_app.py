# The marimo app test/hosts/marimo.e2e.test.ts serves with `marimo run`: one wsb_host_app widget.
import marimo

app = marimo.App()


@app.cell
def __():
    import marimo as mo

    import wsb_host_app

    widget = mo.ui.anywidget(wsb_host_app.make())
    widget
    return mo, widget, wsb_host_app


if __name__ == "__main__":
    app.run()
