# Fixed shape of cherrypy/cherrypy#496: the thread-local state is released when the request ends.
import threading

serving = threading.local()


def respond(app, environ, start_response):
    request = app.make_request(environ)
    response = app.make_response()
    serving.request = request
    serving.response = response
    try:
        body = app.handle(request, response)
        start_response(response.status, response.headers)
        return [body]
    finally:
        serving.__dict__.clear()
