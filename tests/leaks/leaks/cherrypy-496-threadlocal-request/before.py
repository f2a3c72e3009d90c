# Shape of cherrypy/cherrypy#496 ("Memory leaks in threadlocal objects"). Minimal reproduction
# written for this corpus.
import threading

serving = threading.local()


def respond(app, environ, start_response):
    # runs in the WSGI server's worker threads
    request = app.make_request(environ)
    response = app.make_response()
    serving.request = request  # <- stays in the worker thread after the request
    serving.response = response  # <- stays in the worker thread after the request
    body = app.handle(request, response)
    start_response(response.status, response.headers)
    return [body]
